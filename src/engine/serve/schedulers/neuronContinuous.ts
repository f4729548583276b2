// Continuous batching on a static-shape runtime, as vLLM on Neuron runs it over NxD Inference (and
// transformers-neuronx before it): prompts go through a context-encoding graph compiled for a small
// batch (NxD Inference's ctx_batch_size, 1 under continuous batching), whole, never chunked, and
// before any decode step, as vLLM's v0 scheduler puts prefills first; every decode step runs the
// token-generation graph at its compiled batch (max_num_seqs), however many requests are running.
// The KV cache is one slot per compiled batch row, sized for the longest sequence, so a running
// request never runs out of cache: admission is by slot. The padding itself (rows, buckets) is the
// event loop's, from the pool's staticShapes. Source: AWS Neuron docs, "NxD Inference: vLLM user
// guide" and "NxD Inference features: bucketing, continuous batching".
import { joinTransferred, scheduleDecodes, schedulePrefills, type SchedulerPolicy } from "./scheduler.js";

export const neuronContinuous: SchedulerPolicy = {
  schedule(ctx) {
    joinTransferred(ctx);
    const prompts = ctx.pool.staticShapes?.prefillBatch ?? 1;
    schedulePrefills(ctx, Infinity, true, prompts);
    if (ctx.replica.prefills.length === 0) scheduleDecodes(ctx, Infinity);
  },
};
