// A scan over chip counts on every core: the counts are dealt to worker threads, each plans its share
// with the same engine, and the results are merged as one search would report them.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { mergePlanResults, plan, planNotes, type PlanResult } from "../engine/plan/search.js";
import { UltrasimError } from "../engine/errors.js";
import { buildPlanRequest, type PlanOptions } from "./planRequest.js";

export interface PlanJob {
  file: string | undefined;
  opts: PlanOptions;
  chips: number[];
}

type WorkerMessage = { progress: number } | { result: PlanResult } | { error: { code: string; message: string; field?: string } };

/** Plan `file` + `opts` over all its chip counts, in parallel where there are several counts and cores. */
export async function planInParallel(file: string | undefined, opts: PlanOptions, onProgress: (done: number) => void): Promise<PlanResult> {
  const { request } = buildPlanRequest(file, opts);
  const workers = Math.min(availableParallelism(), request.chips.length);
  if (workers <= 1) return plan({ ...request, onProgress });
  // Deal the counts round-robin, so large and small counts spread evenly.
  const shares = Array.from({ length: workers }, (_, w) => request.chips.filter((_, i) => i % workers === w));
  const done = new Array<number>(workers).fill(0);
  const results = await Promise.all(
    shares.map(
      (chips, w) =>
        new Promise<PlanResult>((resolve, reject) => {
          const job: PlanJob = { file, opts, chips };
          const worker = new Worker(new URL("./planWorker.js", import.meta.url), { workerData: job });
          worker.on("message", (m: WorkerMessage) => {
            if ("progress" in m) {
              done[w] = (m.progress * chips.length) / request.chips.length;
              onProgress(done.reduce((a, b) => a + b, 0));
            } else if ("result" in m) resolve(m.result);
            else reject(new UltrasimError(m.error.code as UltrasimError["code"], m.error.message, { field: m.error.field }));
          });
          worker.on("error", reject);
        }),
    ),
  );
  const merged = mergePlanResults(results, request.objective ?? "step-time", request.tokens, request.topK ?? 5);
  return { ...merged, notes: planNotes(request, merged.plans) };
}
