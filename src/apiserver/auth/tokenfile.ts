// Kubernetes' static token file (`--token-auth-file`): CSV lines `token,user,uid,"group1,group2"`,
// read with the same rules as the kube-apiserver's tokenfile authenticator.
import { readFile } from "node:fs/promises";

export interface TokenEntry {
  token: string;
  user: string;
  uid: string;
  groups: string[];
}

/** Splits CSV text into records (RFC 4180 quoting, "" escapes a quote); blank lines are skipped and spaces kept, as Go's encoding/csv does by default. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  let fieldStarted = false;
  const endRecord = () => {
    if (fieldStarted || record.length > 0) records.push([...record, field]);
    record = [];
    field = "";
    fieldStarted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') {
        field += c;
      } else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else {
        quoted = false;
      }
    } else if (c === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (c === ",") {
      record.push(field);
      field = "";
      fieldStarted = false;
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRecord();
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) throw new Error("token file: unterminated quoted field");
  endRecord();
  return records;
}

/**
 * Parses a token file. A record needs at least three columns (token, user, uid) or the whole file is
 * rejected; records with an empty token are skipped; a later duplicate token wins; the optional
 * fourth column is the comma-separated group list.
 */
export function parseTokenFile(text: string): TokenEntry[] {
  const byToken = new Map<string, TokenEntry>();
  for (const [i, record] of parseCsv(text).entries()) {
    if (record.length < 3) {
      throw new Error(`token file record ${i + 1} must have at least 3 columns (token, user name, user uid), found ${record.length}`);
    }
    const [token, user, uid, groups] = record as [string, string, string, string | undefined];
    if (!token) continue;
    byToken.set(token, { token, user, uid, groups: groups ? groups.split(",").filter((g) => g !== "") : [] });
  }
  return [...byToken.values()];
}

/** Reads and parses a token file; a missing file is an empty list. */
export async function readTokenFile(path: string): Promise<TokenEntry[]> {
  try {
    return parseTokenFile(await readFile(path, "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One token file line (with its newline); the groups column is always quoted, as the Kubernetes docs show it. */
export function formatTokenLine(entry: TokenEntry): string {
  const groups = `"${entry.groups.join(",").replaceAll('"', '""')}"`;
  return `${csvField(entry.token)},${csvField(entry.user)},${csvField(entry.uid)},${groups}\n`;
}

/** A random bearer token: 32 bytes from the CSPRNG, hex (64 characters, no CSV-special characters). */
export function generateToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
}
