// Files the commands write (--trace, --out): a path that cannot be written is one line naming the path,
// the flag and the reason, exit code 2, never a Node stack.
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UltrasimError } from "../engine/errors.js";

/** Why a write failed, in words, from Node's error code. */
export function writeFailureReason(e: NodeJS.ErrnoException, path: string): string {
  switch (e.code) {
    case "EISDIR":
      return "it is a directory: give a file name";
    case "ENOENT":
      return `the folder ${dirname(path)} does not exist`;
    case "ENOTDIR":
      return "a part of the path is a file, not a folder";
    case "ENOSPC":
      return "no space left on the device";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "the file system is read-only";
    case "EEXIST":
      return "it exists and is not a folder";
    default:
      return e.code ?? e.message;
  }
}

function cannotWrite(e: unknown, path: string, flag: string, what: string): never {
  if (!(e instanceof Error) || !("code" in e)) throw e;
  throw new UltrasimError("FILE_ERROR", `cannot write ${what}: ${writeFailureReason(e as NodeJS.ErrnoException, path)}`, {
    file: path,
    field: flag,
  });
}

/** Write `text` to the file `path`, which `flag` named. */
export function writeOutputFile(path: string, text: string | Uint8Array, flag: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    cannotWrite(e, path, flag, "the file");
  }
}

/**
 * Check that a file can be written at `path` by a writer that writes beside it and renames over it
 * (so it must not replace a directory, a device or a pipe): the folder exists and the path, if it
 * exists, is a regular file.
 */
export function checkReplaceableFile(path: string, flag: string): void {
  let isFile: boolean;
  try {
    const stats = statSync(path);
    if (stats.isDirectory()) throw Object.assign(new Error("a directory"), { code: "EISDIR" });
    isFile = stats.isFile();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") cannotWrite(e, path, flag, "the file");
    try {
      if (!statSync(dirname(path)).isDirectory()) throw Object.assign(new Error("not a folder"), { code: "ENOTDIR" });
    } catch (parent) {
      cannotWrite(parent, path, flag, "the file");
    }
    return;
  }
  if (!isFile)
    throw new UltrasimError(
      "FILE_ERROR",
      "cannot write the file: it is not a regular file (a device or a pipe), and the result replaces it whole",
      {
        file: path,
        field: flag,
      },
    );
}

/** Make sure `path` is a folder to write into (created with its parents if missing). */
export function outputDirectory(path: string, flag: string): void {
  let isFile = false;
  try {
    isFile = !statSync(path).isDirectory();
  } catch {
    // Missing: made below.
  }
  if (isFile) throw new UltrasimError("FILE_ERROR", `is a file, not a folder: ${flag} names an output folder`, { file: path, field: flag });
  try {
    // One level at a time, from the nearest folder that exists: Node 20's recursive mkdir never
    // returns where a parent refuses new entries without saying so (ENOENT under /proc).
    const missing: string[] = [];
    for (let p = resolve(path); !existsSync(p); p = dirname(p)) missing.unshift(p);
    for (const p of missing)
      try {
        mkdirSync(p);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // Another process made it since it was found missing (sweep shards start at once): a folder is fine.
        if (code === "EEXIST" && statSync(p).isDirectory()) continue;
        // The parent exists (it was found above), so ENOENT means it takes no new folders.
        if (code !== "ENOENT") throw e;
        throw new UltrasimError("FILE_ERROR", `cannot write into the folder: ${dirname(p)} does not take new folders`, {
          file: path,
          field: flag,
        });
      }
    if (!statSync(path).isDirectory()) throw Object.assign(new Error("not a folder"), { code: "EEXIST" });
  } catch (e) {
    if (e instanceof UltrasimError) throw e;
    cannotWrite(e, path, flag, "into the folder");
  }
}
