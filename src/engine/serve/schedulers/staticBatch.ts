// Static batching, as a fixed-batch benchmark runs (Neuron's "Real Time" tables, MLPerf-style batch
// runs): a batch of as many waiting requests as fit, each with blocks for its whole context, is
// prefilled together and decodes until its longest request ends; only then does the next batch start.
import { availableBlocks, blocksFor, takeBlocks, type SchedulerPolicy } from "./scheduler.js";

export const staticBatch: SchedulerPolicy = {
  schedule(ctx) {
    const { pool, replica } = ctx;
    if (replica.running.length === 0) {
      while (replica.waiting.length > 0 && replica.running.length < pool.maxBatch) {
        const r = replica.waiting.peek()!;
        const need = blocksFor(pool, r.input + r.output);
        if (need > availableBlocks(replica)) break;
        replica.waiting.shift();
        takeBlocks(replica, need);
        r.blocks = need;
        r.chunk = r.target - r.prefilled;
        replica.running.push(r);
        replica.prefills.push(r);
        ctx.admit(r);
      }
    } else {
      for (const r of replica.running) if (r.prefilled >= r.target) replica.decodes.push(r);
    }
  },
};
