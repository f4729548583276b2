// The points of a shard on every core: one worker thread per core, each with its own engine, fed
// batches from a shared queue (a worker that finishes early takes the next batch, so slow points do
// not leave cores idle). Batches are sized to take about a tenth of a second, so the main thread's
// messages and log writes cost little and progress stays live.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Cell } from "../../engine/sweep/sweepColumns.js";
import type { Sweep } from "../../engine/sweep/sweepFile.js";
import type { CatalogFileEntries } from "../userCatalog.js";
import type { WorkerBatch, WorkerInput, WorkerReply } from "./sweepWorker.js";

const BATCH_SECONDS = 0.1;
const MAX_BATCH = 1000;

export interface PoolOptions {
  workers?: number;
  /** The user's catalog entries (--catalog), for the workers' catalogs. */
  catalogEntries?: CatalogFileEntries[];
  /** Rows as they finish, in the order they finish. */
  onRows: (rows: Cell[][]) => void;
}

export const defaultWorkers = () => availableParallelism();

/** Run `points` ([point, product position] pairs) over the worker pool. */
export async function runPoints(sweep: Sweep, points: [number, number][], options: PoolOptions): Promise<void> {
  if (points.length === 0) return;
  const workerCount = Math.max(1, Math.min(options.workers ?? defaultWorkers(), points.length));
  let next = 0;
  let secondsPerPoint: number | undefined;
  const takeBatch = (): [number, number][] => {
    // One point at a time until a point's cost is known, then about BATCH_SECONDS of them, fewer
    // near the end so that the workers finish together.
    const left = points.length - next;
    const size =
      secondsPerPoint === undefined
        ? 1
        : Math.max(
            1,
            Math.min(MAX_BATCH, Math.floor(BATCH_SECONDS / Math.max(secondsPerPoint, 1e-6)), Math.ceil(left / (2 * workerCount))),
          );
    const batch = points.slice(next, next + size);
    next += batch.length;
    return batch;
  };
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from(
        { length: workerCount },
        () =>
          new Promise<void>((resolve, reject) => {
            const worker = new Worker(new URL("./sweepWorker.js", import.meta.url), {
              workerData: { sweep, catalogEntries: options.catalogEntries ?? [] } satisfies WorkerInput,
            });
            workers.push(worker);
            const feed = () => {
              const batch = takeBatch();
              if (batch.length === 0) {
                worker.postMessage({ stop: true } satisfies WorkerBatch);
                resolve();
              } else worker.postMessage({ batch } satisfies WorkerBatch);
            };
            worker.on("message", (reply: WorkerReply) => {
              const perPoint = reply.seconds / reply.rows.length;
              secondsPerPoint = secondsPerPoint === undefined ? perPoint : 0.8 * secondsPerPoint + 0.2 * perPoint;
              options.onRows(reply.rows as Cell[][]);
              feed();
            });
            worker.on("error", reject);
            worker.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`sweep worker exited with code ${code}`))));
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
