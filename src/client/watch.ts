// Watch streams: newline-delimited JSON events from a chunked response, as an async iterable;
// ERROR events become StatusErrors, a closed stream ends the iteration.
import type { KubeObject } from "../apimachinery/object.ts";
import type { ObjectLike } from "./resources.ts";
import { isPlainObject } from "../apimachinery/object.ts";
import type { HttpRequest, Transport } from "./transport.ts";
import { statusErrorFrom } from "./transport.ts";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";

export interface WatchEvent<T extends ObjectLike = KubeObject> {
  type: WatchEventType;
  /** For BOOKMARK only `metadata.resourceVersion` (and annotations) is meaningful. */
  object: T;
}

/** Largest accepted single event line (a guard against a runaway stream). */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * Opens the watch and yields its events. Ends cleanly when the server ends the response or
 * `req.signal` aborts; throws StatusError for a non-2xx answer or an ERROR event, and the
 * connection error when the stream breaks.
 */
export async function* watchStream<T extends ObjectLike>(transport: Transport, req: HttpRequest): AsyncGenerator<WatchEvent<T>, void, undefined> {
  const signal = req.signal;
  let res;
  try {
    res = await transport.stream(req);
  } catch (err) {
    if (signal?.aborted) return;
    throw err;
  }
  let buffered = "";
  try {
    res.setEncoding("utf8");
    for await (const chunk of res as AsyncIterable<string>) {
      buffered += chunk;
      if (buffered.length > MAX_LINE_BYTES) throw new Error(`watch event larger than ${MAX_LINE_BYTES} bytes`);
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) yield parseEvent<T>(line);
      }
    }
    const rest = buffered.trim();
    if (rest) yield parseEvent<T>(rest);
  } catch (err) {
    if (signal?.aborted) return;
    throw err;
  } finally {
    res.destroy();
  }
}

function parseEvent<T extends ObjectLike>(line: string): WatchEvent<T> {
  let ev: unknown;
  try {
    ev = JSON.parse(line);
  } catch {
    throw new Error(`watch: malformed event: ${line.slice(0, 200)}`);
  }
  if (!isPlainObject(ev) || typeof ev.type !== "string" || !isPlainObject(ev.object)) throw new Error(`watch: malformed event: ${line.slice(0, 200)}`);
  if (ev.type === "ERROR") {
    const code = typeof ev.object.code === "number" ? ev.object.code : 500;
    throw statusErrorFrom(code, ev.object);
  }
  if (ev.type !== "ADDED" && ev.type !== "MODIFIED" && ev.type !== "DELETED" && ev.type !== "BOOKMARK") {
    throw new Error(`watch: unknown event type ${JSON.stringify(ev.type)}`);
  }
  return { type: ev.type, object: ev.object as T };
}
