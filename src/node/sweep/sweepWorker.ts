// One worker of a sweep, a child process or a worker thread: its own engine (catalog), points in
// batches from the main process, their rows back. It knows the sweep, so a batch is just point
// numbers and product positions.
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
/** Points to run: [point, product position] pairs. A child process gets its input as its first message. */
export type WorkerMessage = { input: WorkerInput } | { batch: [number, number][] } | { stop: true };
export type WorkerReply = { rows: unknown[][]; seconds: number };

/** Evaluates batches of the sweep's points. */
function pointRunner({ sweep, catalogEntries }: WorkerInput): (batch: [number, number][]) => WorkerReply {
  const catalog = catalogEntries.reduce((c, entries) => c.withEntries(entries), builtinCatalog());
  const columns = sweepColumns(sweep);
  return (batch) => {
    const started = performance.now();
    const rows = batch.map(([point, productIndex]) => evaluatePoint(sweep, point, productIndex, catalog, columns));
    return { rows, seconds: (performance.now() - started) / 1000 };
  };
}

if (parentPort) {
  // A worker thread: the input came with it.
  const port = parentPort;
  const run = pointRunner(workerData as WorkerInput);
  port.on("message", (message: WorkerMessage) => {
    if ("stop" in message) port.close();
    else if ("batch" in message) port.postMessage(run(message.batch) satisfies WorkerReply);
  });
} else if (process.send) {
  // A child process: the input is the first message. It exits when told to stop, or when the main
  // process goes (killed, its channel closes), so no orphan keeps a core busy.
  let run: ((batch: [number, number][]) => WorkerReply) | undefined;
  process.on("message", (message: WorkerMessage) => {
    // Disconnect on a later turn: messages that came before this listener existed are replayed in one
    // loop, and Node's replay fails if the channel goes in the middle of it (a stop among them).
    if ("stop" in message) setImmediate(() => process.connected && process.disconnect());
    else if ("input" in message) run = pointRunner(message.input);
    else {
      const reply = run!(message.batch);
      // The main process may have gone while the batch ran: then there is no one to answer.
      if (process.connected) process.send!(reply satisfies WorkerReply, (error: Error | null) => error && process.exit(0));
    }
  });
  process.on("disconnect", () => process.exit(0));
}
