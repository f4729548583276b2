// The first hour's rough edges at the command line: output that cannot be written, a reader that goes
// away, --version and the top-level help, and the hetero default from any directory.
import { spawn, spawnSync } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, REPO, STACK, ultrasim, ultrasimIn } from "./cliHelpers.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ultrasim-out-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One line on stderr naming the path and the reason, exit 2, no stack. */
function expectOneLine(r: { code: number | null; stderr: string }, path: string, reason: RegExp) {
  expect(r.code).toBe(2);
  expect(r.stderr).not.toMatch(STACK);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toContain(path);
  expect(r.stderr).toMatch(reason);
}

describe("output that cannot be written", () => {
  const SERVE = ["serve", join(REPO, "examples/serve-llama3-70b-p5.yaml"), "--requests", "50"];
  const WHAT_IF = [join(REPO, "examples/sweep/what-if.yaml"), "--catalog", join(REPO, "examples/my-catalog.yaml")];
  it("train --trace to a directory", () => expectOneLine(ultrasimIn(dir, ["train", "--trace", dir]), dir, /--trace: .*is a directory/));
  it("train --trace into a missing folder", () => {
    const path = join(dir, "missing", "step.json");
    expectOneLine(ultrasimIn(dir, ["train", "--trace", path]), path, /folder .*missing does not exist/);
  });
  it.runIf(process.platform === "linux")("train --trace to a full disk", () =>
    expectOneLine(ultrasimIn(dir, ["train", "--trace", "/dev/full"]), "/dev/full", /no space left/),
  );
  it("serve --trace to a directory", () => expectOneLine(ultrasimIn(dir, [...SERVE, "--trace", dir]), dir, /is a directory/));
  it("schema --out a file where a folder is expected", () => {
    expectOneLine(ultrasimIn(dir, ["schema", "--out", "/dev/null"]), "/dev/null", /--out: .*not a folder/);
    const file = join(REPO, "package.json");
    expectOneLine(ultrasimIn(dir, ["schema", "--out", join(file, "schema")]), file, /is a file, not a folder/);
  });
  it("sweep run --out a file where a folder is expected", { timeout: 30_000 }, () =>
    expectOneLine(ultrasimIn(dir, ["sweep", "run", ...WHAT_IF, "--out", "/dev/null", "--quiet"]), "/dev/null", /--out: .*not a folder/),
  );
  it("sweep merge --out a directory, a missing folder or a pipe", { timeout: 60_000 }, () => {
    const out = join(dir, "sweep");
    expect(ultrasimIn(dir, ["sweep", "run", ...WHAT_IF, "--out", out, "--quiet"]).code).toBe(0);
    expectOneLine(ultrasimIn(dir, ["sweep", "merge", out, "--out", dir]), dir, /--out: .*is a directory/);
    const missing = join(dir, "missing", "sweep.parquet");
    expectOneLine(ultrasimIn(dir, ["sweep", "merge", out, "--out", missing]), missing, /folder .*missing does not exist/);
    // A pipe (as a device would be) is refused, not replaced by the merged file.
    const fifo = join(dir, "fifo");
    if (spawnSync("mkfifo", [fifo]).status === 0) {
      expectOneLine(ultrasimIn(dir, ["sweep", "merge", out, "--out", fifo]), fifo, /not a regular file/);
      expect(lstatSync(fifo).isFIFO()).toBe(true);
    }
    expect(ultrasimIn(dir, ["sweep", "merge", out, "--out", join(dir, "merged.parquet")]).code).toBe(0);
  });
  it("writes when it can", () => {
    const path = join(dir, "step.json");
    const r = ultrasimIn(dir, ["train", "--trace", path]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(path, "utf8")).traceEvents.length).toBeGreaterThan(0);
  });
});

/** Run the CLI with its stdout closed before it writes: what `ultrasim ... | head -c 100` does. */
function closedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.destroy();
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("a closed pipe", () => {
  for (const args of [["reliability", "--json"], ["catalog", "models", "--json"], ["train"]])
    it(`${args.join(" ")} ends quietly with exit 0`, async () => {
      const r = await closedPipe(args);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    });
});

describe("version and help", () => {
  it("--version prints package.json's version", () => {
    const { version } = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string };
    const r = ultrasim("--version");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });
  it("the top-level description names every command, training and inference", () => {
    const r = ultrasim("--help");
    expect(r.code).toBe(0);
    const description = r.stdout.slice(0, r.stdout.indexOf("Options:")).replace(/\s+/g, " ");
    expect(description).toMatch(/training and inference/);
    for (const command of [
      "train",
      "plan",
      "serve",
      "scale",
      "compare",
      "claims",
      "reliability",
      "hetero",
      "sweep",
      "validate",
      "catalog",
      "schema",
      "web",
    ])
      expect(description).toContain(command);
  });
});

describe("hetero's default scenario", () => {
  it("is found from any working directory", () => {
    const fromRoot = ultrasim("hetero", "--json");
    const elsewhere = ultrasimIn(dir, ["hetero", "--json"]);
    expect(elsewhere.stderr).toBe("");
    expect(elsewhere.code).toBe(0);
    expect(JSON.parse(elsewhere.stdout)).toEqual(JSON.parse(fromRoot.stdout));
  });
});
