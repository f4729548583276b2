// Long commands say how far they are on stderr (plain lines when stderr is not a terminal), and
// stdout stays clean for --json.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, ultrasim } from "./cliHelpers.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ultrasim-progress-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The percentages of the plain progress lines labelled `label`. */
function percents(stderr: string, label: string): number[] {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith(`${label}: `))
    .map((l) => Number(/: (\d+)%/.exec(l)![1]));
}

describe("progress on stderr", () => {
  it("validate: per case, from 0% to 100%, training and inference together", { timeout: 60_000 }, () => {
    const training = JSON.parse(readFileSync(join(REPO, "../shared/validation/training.json"), "utf8")) as unknown[];
    const inference = JSON.parse(readFileSync(join(REPO, "../shared/validation/inference.json"), "utf8")) as unknown[];
    writeFileSync(join(dir, "training.json"), JSON.stringify(training.slice(0, 4)));
    writeFileSync(join(dir, "inference.json"), JSON.stringify(inference.slice(0, 2)));
    const r = ultrasim("validate", join(dir, "training.json"), join(dir, "inference.json"), "--json");
    expect(r.code).toBe(0);
    const p = percents(r.stderr, "validating");
    expect(p[0]).toBeLessThan(50);
    expect(p[p.length - 1]).toBe(100);
    expect(r.stderr).toContain("6/6 cases");
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  });

  it("serve plan: per shape searched", { timeout: 60_000 }, () => {
    const r = ultrasim("serve", "plan", "examples/serve-llama3-70b-p5.yaml", "--requests", "200", "--max-chips", "8", "--json");
    expect(r.code).toBe(0);
    const p = percents(r.stderr, "planning");
    expect(p.length).toBeGreaterThan(2);
    expect(p[p.length - 1]).toBe(100);
    expect(r.stderr).toMatch(/\d+\/\d+ shapes \(p5\.48xlarge\)/);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  });
});
