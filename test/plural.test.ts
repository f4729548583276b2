// Counts read as English ("1 chip", "2 chips") everywhere, and the serving table says whether its
// running batch is per replica or summed.
import { describe, expect, it } from "vitest";
import { plural } from "../src/engine/report/plural.js";
import { ultrasim } from "./cliHelpers.js";

const ONE_PLURAL = /(?<![\d.,])1 (chips|points|layouts|shards|rows|sequences|schemas|replicas|cores)\b/;

describe("plural", () => {
  it("singular for exactly one", () => {
    expect(plural(1, "chip")).toBe("1 chip");
    expect(plural(2, "chip")).toBe("2 chips");
    expect(plural(0, "point")).toBe("0 points");
    expect(plural(1152, "chip", "chips", "1,152")).toBe("1,152 chips");
    expect(plural(1, "replica", "replicas", "1")).toBe("1 replica");
  });

  it("one chip reads '1 chip' in plan, train's errors and scale", { timeout: 60_000 }, () => {
    const planned = ultrasim(
      "plan",
      "--model",
      "llama3-8b",
      "--system",
      "dgx-h100",
      "--chips",
      "1",
      "--global-batch",
      "8",
      "--seq-len",
      "2048",
    );
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain("1 chip ·");
    const bad = ultrasim("train", "--model", "llama3-8b", "--system", "dgx-h100", "--chips", "1", "--tp", "1", "--pp", "1", "--dp", "2");
    expect(bad.stderr).toContain("the run has 1 chip\n");
    const scaled = ultrasim(
      "scale",
      "--model",
      "llama3-8b",
      "--system",
      "dgx-h100",
      "--chips",
      "1..2",
      "--global-batch",
      "1",
      "--seq-len",
      "2048",
    );
    expect(scaled.code).toBe(0);
    for (const r of [planned, bad, scaled]) expect(r.stdout + r.stderr).not.toMatch(ONE_PLURAL);
  });
});

describe("serving's running batch", () => {
  it("is labelled: in all, over how many replicas, and per replica beside the per-replica maximum", { timeout: 30_000 }, () => {
    const text = ultrasim("serve", "examples/serve-llama3-70b-p5.yaml", "--requests", "300").stdout;
    const json = JSON.parse(ultrasim("serve", "examples/serve-llama3-70b-p5.yaml", "--requests", "300", "--json").stdout) as {
      pools: { replicas: number; maxBatch: number }[];
      occupancy: { meanRunningRequests: number };
    };
    const { replicas, maxBatch } = json.pools[0]!;
    const total = json.occupancy.meanRunningRequests;
    expect(text).toContain(`max ${maxBatch} per replica`);
    expect(text).toContain(`${total.toFixed(1)} requests over ${replicas} replicas, ${(total / replicas).toFixed(1)} per replica`);
    expect(total / replicas).toBeLessThanOrEqual(maxBatch);
  });
});
