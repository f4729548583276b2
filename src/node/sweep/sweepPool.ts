// The points of a shard on every core: one worker per core, each with its own engine, fed batches from
// a shared queue (a worker that finishes early takes the next batch, so slow points do not leave cores
// idle). Batches are sized to take about a tenth of a second, so the main process's messages and log
// writes cost little and progress stays live; each worker holds the next batch while it runs one, so it
// never waits on a busy main process.
//
// Workers are child processes by default. Worker threads share one address space, and on many cores
// their garbage collectors' page mapping and unmapping contend for it: measured on a 16-core host,
// 16 threads ran the planner at about two thirds of the speed of 16 processes (README, "Sweeps").
import { fork, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Cell } from "../../engine/sweep/sweepColumns.js";
import type { Sweep } from "../../engine/sweep/sweepFile.js";
import type { CatalogFileEntries } from "../userCatalog.js";
import type { WorkerInput, WorkerMessage, WorkerReply } from "./sweepWorker.js";

const BATCH_SECONDS = 0.1;
const MAX_BATCH = 1000;

export const POOL_KINDS = ["processes", "threads"] as const;
export type PoolKind = (typeof POOL_KINDS)[number];

export interface PoolOptions {
  workers?: number;
  /** Child processes (the default) or worker threads. */
  pool?: PoolKind;
  /** The user's catalog entries (--catalog), for the workers' catalogs. */
  catalogEntries?: CatalogFileEntries[];
  /** Rows as they finish, in the order they finish. */
  onRows: (rows: Cell[][]) => void;
}

export const defaultWorkers = () => availableParallelism();

/** A worker as the pool sees it, whichever kind it is. */
interface PoolWorker {
  send(message: WorkerMessage): void;
  onReply(listener: (reply: WorkerReply) => void): void;
  onError(listener: (error: Error) => void): void;
  onExit(listener: (code: number | null) => void): void;
  stop(): Promise<unknown>;
}

const workerFile = new URL("./sweepWorker.js", import.meta.url);

function startWorker(kind: PoolKind, input: WorkerInput): PoolWorker {
  if (kind === "threads") {
    const worker = new Worker(workerFile, { workerData: input });
    return {
      send: (message) => worker.postMessage(message),
      onReply: (listener) => worker.on("message", listener),
      onError: (listener) => worker.on("error", listener),
      onExit: (listener) => worker.on("exit", listener),
      stop: () => worker.terminate(),
    };
  }
  // The structured clone ("advanced") keeps what JSON would lose (Infinity, undefined). One worker per
  // core: V8's parallel garbage collector would only take cores from the other workers.
  const child: ChildProcess = fork(fileURLToPath(workerFile), [], {
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: [...process.execArgv, "--single-threaded-gc"],
  });
  child.send({ input } satisfies WorkerMessage);
  return {
    send: (message) => child.send(message),
    onReply: (listener) => child.on("message", listener),
    onError: (listener) => child.on("error", listener),
    onExit: (listener) => child.on("exit", listener),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill();
      }),
  };
}

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
  const input: WorkerInput = { sweep, catalogEntries: options.catalogEntries ?? [] };
  const workers: PoolWorker[] = [];
  const feeds: (() => void)[] = [];
  try {
    const done = Promise.all(
      Array.from(
        { length: workerCount },
        () =>
          new Promise<void>((resolve, reject) => {
            const worker = startWorker(options.pool ?? "processes", input);
            workers.push(worker);
            let stopped = false;
            // Batches sent and not yet answered: a worker holds one queued behind the one it runs, so
            // it never waits on the main process between batches.
            let inFlight = 0;
            const feed = () => {
              const batch = takeBatch();
              if (batch.length > 0) {
                inFlight++;
                worker.send({ batch });
              } else if (inFlight === 0 && !stopped) {
                stopped = true;
                worker.send({ stop: true });
                resolve();
              }
            };
            worker.onReply((reply) => {
              inFlight--;
              const perPoint = reply.seconds / reply.rows.length;
              secondsPerPoint = secondsPerPoint === undefined ? perPoint : 0.8 * secondsPerPoint + 0.2 * perPoint;
              options.onRows(reply.rows as Cell[][]);
              feed();
            });
            worker.onError((error) => reject(new Error(`sweep worker failed: ${error.message}`)));
            // A worker that goes before it was told to stop takes its batches with it: that is an error.
            worker.onExit((code) =>
              stopped ? resolve() : reject(new Error(`sweep worker exited with code ${code} before its batches were done`)),
            );
            feeds.push(feed);
          }),
      ),
    );
    // A first batch to every worker, then a second to each: with few points, every worker still gets one.
    for (const feed of feeds) feed();
    for (const feed of feeds) feed();
    await done;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}
