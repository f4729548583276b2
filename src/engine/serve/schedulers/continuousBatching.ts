// Continuous (in-flight) batching with prefill and decode in the same iteration, as vLLM's v1
// scheduler and TensorRT-LLM's in-flight batching do: every running request decodes one token, then
// prompts fill what is left of the iteration's token budget, in chunks where chunked prefill is on.
// The engines differ in admission, which is data (data/serving-engines.json): vLLM allocates KV blocks
// on demand and preempts the newest request on a full cache, and admits no new prompt in an
// iteration that preempted; TensorRT-LLM's GUARANTEED_NO_EVICT reserves a request's whole context at
// admission, so nothing is ever preempted.
import { joinTransferred, scheduleDecodes, schedulePrefills, type SchedulerPolicy } from "./scheduler.js";

export const continuousBatching: SchedulerPolicy = {
  schedule(ctx) {
    joinTransferred(ctx);
    const { budget, preempted } = scheduleDecodes(ctx, ctx.pool.maxTokensPerIteration);
    schedulePrefills(ctx, budget, !preempted);
  },
};
