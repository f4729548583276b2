// `ultrasim scale FILE` starts its scan where the file's run is: its chip count and its global batch,
// unless --chips or --global-batch says otherwise (the file's layout is the one thing it re-plans).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ultrasim } from "./cliHelpers.js";

const dir = mkdtempSync(join(tmpdir(), "ultrasim-scale-"));
function scenario(chips: number, globalBatch: number): string {
  const file = join(dir, `llama3-8b-h100-${chips}.yaml`);
  writeFileSync(
    file,
    [
      "schemaVersion: 1",
      "model: llama3-8b",
      `system: {id: dgx-h100, chips: ${chips}}`,
      `run: {seqLen: 4096, globalBatch: ${globalBatch}, microBatch: 1, precision: bf16}`,
      `parallelism: {tp: 2, pp: 1, dp: ${chips / 2}, cp: 1, ep: 1, etp: null, vpp: null, sequenceParallel: true, zero: 1, recompute: null}`,
      "",
    ].join("\n"),
  );
  return file;
}
const file = scenario(16, 64);

type Curve = { points: { chips: number; globalBatch: number }[] };
const curve = (...args: string[]): Curve => {
  const r = ultrasim("scale", ...(args[0]?.endsWith(".yaml") ? [] : [file]), ...args, "--json");
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Curve;
};

describe("scale from a scenario file", () => {
  it("starts at the file's chips with the file's batch, growing it with the cluster (weak scaling)", () => {
    const points = curve("--chips", "16..64").points;
    expect(points.map((p) => p.chips)).toEqual([16, 32, 64]);
    // 64 sequences at 16 chips, doubled with each doubling of the cluster.
    expect(points.map((p) => p.globalBatch)).toEqual([64, 128, 256]);
    // Without --chips the scan runs from the file's chips to a million (not from the default 144).
    expect(curve(scenario(524288, 524288)).points.map((p) => [p.chips, p.globalBatch])).toEqual([
      [524288, 524288],
      [1000000, 1000000],
    ]);
  });

  it("the flags still win over the file", () => {
    const points = curve("--chips", "32..64", "--global-batch", "96", "--batch-scaling", "strong").points;
    expect(points.map((p) => [p.chips, p.globalBatch])).toEqual([
      [32, 96],
      [64, 96],
    ]);
  });
});
