// The worker pool under a worker's death: a worker killed while it holds batches must fail the run,
// not end it quietly with its points missing (each worker holds one batch queued behind the one it
// runs, so a death loses up to two).
import { execFileSync, fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { requireBuild, trainSweep } from "./sweepHelpers.js";

// The built pool (`npm test` builds first), since its workers are the built sweepWorker.js beside it;
// typed from the sources, loaded at run time so that type-checking needs no build.
const built = <T>(path: string): Promise<T> => import(new URL(`../dist/${path}`, import.meta.url).href) as Promise<T>;

describe("sweep worker pool", () => {
  it("fails the run when a worker dies holding batches, and runs every point otherwise", async () => {
    requireBuild();
    const { loadSweep } = await built<typeof import("../src/node/sweep/loadSweep.js")>("src/node/sweep/loadSweep.js");
    const { runPoints } = await built<typeof import("../src/node/sweep/sweepPool.js")>("src/node/sweep/sweepPool.js");
    const dir = mkdtempSync(join(tmpdir(), "ultrasim-pool-"));
    try {
      writeFileSync(join(dir, "sweep.yaml"), trainSweep());
      const loaded = loadSweep(join(dir, "sweep.yaml"));
      const points = loaded.points.productIndices.map((p, i): [number, number] => [i, p]);

      // Whole: every point answered once.
      const seen: number[] = [];
      await runPoints(loaded.sweep, points, {
        workers: 2,
        pool: "processes",
        onRows: (rows) => seen.push(...rows.map((r) => r[0] as number)),
      });
      expect(seen.sort((a, b) => a - b)).toEqual(points.map(([i]) => i));

      // A worker SIGKILLed after the first rows come back: the run rejects.
      let killed = false;
      const run = runPoints(loaded.sweep, points, {
        workers: 2,
        pool: "processes",
        onRows: () => {
          if (killed) return;
          killed = true;
          // This pool's workers only: other test files running in this process have children of their own.
          const children = execFileSync("pgrep", ["-P", String(process.pid), "-f", "sweepWorker\\.js"], { encoding: "utf8" })
            .trim()
            .split("\n");
          process.kill(Number(children[0]), "SIGKILL");
        },
      });
      await expect(run).rejects.toThrow(/^sweep worker (exited with code .* before its batches were done|failed: )/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a worker told to stop before it has started exits cleanly", async () => {
    // Messages that reach a child process before its listener exists are replayed in one loop, and
    // Node's replay fails if the channel closes in the middle of it; the worker disconnects a turn later.
    requireBuild();
    const dir = mkdtempSync(join(tmpdir(), "ultrasim-pool-"));
    try {
      writeFileSync(join(dir, "sweep.yaml"), trainSweep());
      const { loadSweep } = await built<typeof import("../src/node/sweep/loadSweep.js")>("src/node/sweep/loadSweep.js");
      const { sweep } = loadSweep(join(dir, "sweep.yaml"));
      const worker = fork(fileURLToPath(new URL("../dist/src/node/sweep/sweepWorker.js", import.meta.url)), [], {
        serialization: "advanced",
        stdio: ["ignore", "pipe", "pipe", "ipc"],
      });
      let stderr = "";
      worker.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      // Both sent at once, long before the worker has loaded the engine and listens.
      worker.send({ input: { sweep, catalogEntries: [] } });
      worker.send({ stop: true });
      const code = await new Promise<number | null>((resolve) => worker.on("exit", resolve));
      expect(stderr).toBe("");
      expect(code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
