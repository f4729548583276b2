// Pipeline sends, blocking or overlapped as the framework does them (data/frameworks.json
// pipelineSendOverlap): blocking sends hold the sender every micro-batch; overlapped ones are hidden
// behind the next micro-batch's compute and cost only the pipeline's fill and drain.
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { predictTraining } from "../src/engine/analytic/trainingStep.js";

const catalog = builtinCatalog();
const model = catalog.model("llama3.1-70b");
const parallelism = {
  tp: 8,
  pp: 4,
  dp: 2,
  cp: 1,
  ep: 1,
  etp: null,
  vpp: 1,
  sequenceParallel: true,
  zero: 1 as const,
  recompute: "selective" as const,
};
const base = catalog.hardware("dgx-h100", {}, undefined, "megatron-core");
const overlapped = { ...base, software: { ...base.software, pipelineSendOverlap: true } };
const blocking = { ...base, software: { ...base.software, pipelineSendOverlap: false } };
const predict = (hw: typeof base, globalBatch: number) =>
  predictTraining({
    model,
    hw,
    chips: 64,
    run: { seqLen: 8192, globalBatch, microBatch: 1, precision: "bf16" },
    parallelism,
    schedule: "closed-form",
  });

describe("pipeline sends", () => {
  it("megatron-core overlaps them, megatron-lm 2021-22 blocks on them (sourced features)", () => {
    expect(catalog.hardware("dgx-h100", {}, undefined, "megatron-core").software.pipelineSendOverlap).toBe(true);
    expect(catalog.hardware("dgx-a100-80gb", {}, undefined, "megatron-lm").software.pipelineSendOverlap).toBe(false);
  });

  it("blocking: the exposed send time grows with the micro-batches; overlapped: only fill and drain, whatever their number", () => {
    const [b16, b32] = [predict(blocking, 32), predict(blocking, 64)];
    const [o16, o32] = [predict(overlapped, 32), predict(overlapped, 64)];
    // 16 and 32 micro-batches per rank: blocking sends double with them.
    expect(b32.breakdown.pipelineParallel / b16.breakdown.pipelineParallel).toBeCloseTo(2, 6);
    expect(o16.breakdown.pipelineParallel).toBeGreaterThan(0);
    expect(o32.breakdown.pipelineParallel).toBeCloseTo(o16.breakdown.pipelineParallel, 12);
    // Fill and drain cross pp-1 = 3 boundaries each way: 6 sends. The critical stage is an end one (the
    // first holds the embedding, the last the logits), which blocks on one send per micro-batch.
    expect([0, 3]).toContain(b16.criticalStage);
    const perSend = b16.breakdown.pipelineParallel / 16;
    expect(o16.breakdown.pipelineParallel).toBeCloseTo(6 * perSend, 9);
    expect(o16.stepSeconds).toBeLessThan(b16.stepSeconds);
    expect(o32.stepSeconds).toBeLessThan(b32.stepSeconds);
  });
});
