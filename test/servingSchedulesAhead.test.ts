// An engine that schedules each step while the one before it runs (vLLM's async scheduling, SGLang's
// overlap scheduler) hides its host time, and pays for it at admission: a request that reaches a busy
// replica is first seen when the step after the running one is picked, so it joins one step later
// than under a scheduler that picks each step when the last one ends. Both derived by hand from the
// steps the simulation itself records.
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { resolvePool } from "../src/engine/serve/deployment.js";
import type { PoolSpec } from "../src/engine/serve/scenario.js";
import { simulateServing, type SimulationResult } from "../src/engine/serve/simulate.js";

const catalog = builtinCatalog();
const model = catalog.model("llama3.1-8b");

/** Two requests on one H100; no host time, so both modes run steps of the same length. */
function run(hostOverlap: boolean, arrivals: number[]): SimulationResult {
  const spec: PoolSpec = {
    system: "dgx-h100",
    precision: "bf16",
    tp: 1,
    replicas: 1,
    batching: { policy: "continuous", maxBatch: 8 },
    iterationOverheadUs: 0,
    hostOverlap,
  };
  const { runtime } = resolvePool(spec, "colocated", model, catalog, "deployment");
  const requests = arrivals.map((arrivalSeconds, i) => ({ arrivalSeconds, inputTokens: 64, outputTokens: i === 0 ? 200 : 20 }));
  return simulateServing({ pools: [runtime], requests, maxContextTokens: Infinity, seed: 1, recordIterations: true });
}

/** The index of the recorded step running at time t. */
function stepAt(sim: SimulationResult, t: number): number {
  return sim.records.findIndex((r) => r.startSeconds <= t && t < r.startSeconds + r.seconds);
}

describe("an engine that schedules ahead", () => {
  // Request 0 starts at once; request 1 arrives in the middle of its tenth decode step.
  const probe = run(false, [0, 0]);
  const tenth = probe.records[10]!;
  const arrival = tenth.startSeconds + tenth.seconds / 2;

  it("admits a request that arrives mid-step at the start of the next step when it does not", () => {
    const sim = run(false, [0, arrival]);
    const k = stepAt(sim, arrival);
    expect(k).toBe(10);
    expect(sim.admittedSeconds[1]).toBe(sim.records[k + 1]!.startSeconds);
  });

  it("one step later when it does: the next step was picked before the request arrived", () => {
    const sim = run(true, [0, arrival]);
    const k = stepAt(sim, arrival);
    expect(k).toBe(10);
    // The step after the running one decodes request 0 alone; request 1 joins the one after that.
    expect(sim.records[k + 1]!.requests).toBe(1);
    expect(sim.admittedSeconds[1]).toBe(sim.records[k + 2]!.startSeconds);
    expect(sim.firstTokenSeconds[1]).toBeGreaterThan(run(false, [0, arrival]).firstTokenSeconds[1]!);
  });

  it("starts a request at once on an idle replica: there is no step to be ahead of", () => {
    const sim = run(true, [0.25]);
    expect(sim.admittedSeconds[0]).toBe(0.25);
  });
});
