// The files of an emitted launch configuration (`serve plan --emit ... --emit-dir DIR`), written into
// one folder, made if missing; a file that cannot be written is one line naming it and the flag.
import { join } from "node:path";
import type { LaunchFile } from "../engine/serve/emit/index.js";
import { outputDirectory, writeOutputFile } from "./outputFile.js";

/** Write each file into `dir`; returns the paths written. */
export function writeLaunchFiles(dir: string, files: LaunchFile[], flag: string): string[] {
  outputDirectory(dir, flag);
  return files.map((file) => {
    const path = join(dir, file.name);
    writeOutputFile(path, file.contents, flag);
    return path;
  });
}
