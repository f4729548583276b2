// One worker thread of a sweep: its own engine (catalog), points in batches from the main thread,
// their rows back. It knows the sweep, so a batch is just point numbers and product positions.
import { parentPort, workerData } from "node:worker_threads";
import { builtinCatalog } from "../../engine/catalog/builtin.js";
import { evaluatePoint } from "../../engine/sweep/evaluatePoint.js";
import { sweepColumns } from "../../engine/sweep/sweepColumns.js";
import type { Sweep } from "../../engine/sweep/sweepFile.js";
import type { CatalogFileEntries } from "../userCatalog.js";

export interface WorkerInput {
  sweep: Sweep;
  /** The user's catalog entries, added to the built-in catalog. */
  catalogEntries: CatalogFileEntries[];
}
/** Points to run: [point, product position] pairs. */
export type WorkerBatch = { batch: [number, number][] } | { stop: true };
export type WorkerReply = { rows: unknown[][]; seconds: number };

const { sweep, catalogEntries } = workerData as WorkerInput;
const catalog = catalogEntries.reduce((c, entries) => c.withEntries(entries), builtinCatalog());
const columns = sweepColumns(sweep);
parentPort!.on("message", (message: WorkerBatch) => {
  if ("stop" in message) {
    parentPort!.close();
    return;
  }
  const started = performance.now();
  const rows = message.batch.map(([point, productIndex]) => evaluatePoint(sweep, point, productIndex, catalog, columns));
  parentPort!.postMessage({ rows, seconds: (performance.now() - started) / 1000 } satisfies WorkerReply);
});
