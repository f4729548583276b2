// outputDirectory (src/node/outputFile.ts) when another process makes the same folder at the same time:
// sweep shards started together by a batch system all create `--out`. node:fs's mkdirSync is wrapped
// so that, while `raceOn` is set, the folder appears just before this process's own mkdir, as it would
// when another shard wins the race between the existence check and the mkdir.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";

let raceOn = false;
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  const mkdirSync = ((path: string, options?: unknown) => {
    if (raceOn) fs.mkdirSync(path); // the other process
    return fs.mkdirSync(path, options as never);
  }) as typeof fs.mkdirSync;
  return { ...fs, default: { ...fs, mkdirSync }, mkdirSync };
});

const { outputDirectory } = await import("../src/node/outputFile.js");
const dir = mkdtempSync(join(tmpdir(), "ultrasim-outdir-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("outputDirectory when another process makes the folder first", () => {
  it("takes the folder the other process made, parents included", () => {
    const out = join(dir, "a", "b");
    raceOn = true;
    try {
      expect(() => outputDirectory(out, "--out")).not.toThrow();
    } finally {
      raceOn = false;
    }
    expect(statSync(out).isDirectory()).toBe(true);
  });
  it("still refuses a file in the folder's place, naming the flag", () => {
    const file = join(dir, "taken");
    writeFileSync(file, "x");
    expect(() => outputDirectory(file, "--out")).toThrow(/is a file, not a folder: --out/);
  });
});
