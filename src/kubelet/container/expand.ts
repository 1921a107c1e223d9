// `$(VAR)` expansion as Kubernetes does it (third_party/forked/golang/expansion) for container
// command, args and env values: `$$` escapes `$`, undefined references stay as written.

/** Looks a name up; a missing name yields the reference as written (`$(NAME)`). */
export type Mapping = (name: string) => string;

/** A mapping over the given maps, first match wins; unknown names stay `$(NAME)`. */
export function mappingFor(...contexts: ReadonlyMap<string, string>[]): Mapping {
  return (name) => {
    for (const ctx of contexts) {
      const v = ctx.get(name);
      if (v !== undefined) return v;
    }
    return `$(${name})`;
  };
}

/**
 * Replaces `$(NAME)` references in `input`. Contract (Kubernetes' expansion spec):
 * `$$` → `$`; `$(` without a closing `)` is kept; `$` before anything else is kept; the name is
 * everything up to the first `)` (no nesting); a `$` at the very end is kept.
 */
export function expand(input: string, mapping: Mapping): string {
  let out = "";
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== "$" || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    let advance = 1;
    if (next === "$") {
      out += "$";
    } else if (next === "(") {
      const close = input.indexOf(")", cursor + 2);
      if (close < 0) {
        out += "$(";
      } else {
        out += mapping(input.slice(cursor + 2, close));
        advance = close - cursor;
      }
    } else {
      out += "$" + next;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}
