// Prefill-first batching, as SGLang's scheduler runs by default (without --enable-mixed-chunk): an
// iteration is either a prefill batch or a decode batch, and a new prefill batch, when one can be
// formed, runs first (python/sglang/srt/managers/scheduler.py, get_next_batch_to_run). Prompts are
// chunked under the token budget (--chunked-prefill-size); KV blocks are allocated on demand, and a
// full cache preempts (retracts) the newest decoding request.
import { joinTransferred, scheduleDecodes, schedulePrefills, type SchedulerPolicy } from "./scheduler.js";

export const prefillFirst: SchedulerPolicy = {
  schedule(ctx) {
    joinTransferred(ctx);
    schedulePrefills(ctx, ctx.pool.maxTokensPerIteration, true);
    if (ctx.replica.prefills.length === 0) scheduleDecodes(ctx, ctx.pool.maxTokensPerIteration);
  },
};
