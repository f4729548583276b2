// Every test's temporary files go under one directory per run, removed when the run ends, so a test
// that forgets to clean up (or is killed before its afterAll) leaves nothing in the machine's /tmp.
// Set before the workers and the CLI and browser processes they spawn start: each reads TMPDIR.
// Vitest runs this once for the run and once per project: the first call makes the directory, the
// others keep it (a nested one would lengthen Chromium's socket path past the 108 bytes Unix allows).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MARK = "ULTRASIM_TEST_TMPDIR";

export default function setup(): () => void {
  if (process.env[MARK]) return () => {};
  const dir = mkdtempSync(join(tmpdir(), "ultrasim-test-"));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  process.env[MARK] = dir;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    delete process.env[MARK];
    rmSync(dir, { recursive: true, force: true });
  };
}
