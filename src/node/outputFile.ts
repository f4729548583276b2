// Files the commands write (--trace, --out): a path that cannot be written is one line naming the path,
// the flag and the reason, exit code 2, never a Node stack.
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
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

/** Make sure `path` is a folder to write into (created with its parents if missing). */
export function outputDirectory(path: string, flag: string): void {
  try {
    mkdirSync(path, { recursive: true });
    if (!statSync(path).isDirectory()) throw Object.assign(new Error("not a folder"), { code: "EEXIST" });
  } catch (e) {
    cannotWrite(e, path, flag, "into the folder");
  }
}
