// Small file helpers for secrets: atomic writes with an exact mode, private directories, optional reads.
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";

/** The file's text, or undefined when it does not exist (other errors propagate). */
export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Writes through a temporary file and a rename, so a crash never leaves half a key; the mode is exact (umask does not apply). */
export async function writeFileAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

/** Creates `dir` with mode 0700 (and parents), or tightens it to 0700 if it exists. */
export async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}
