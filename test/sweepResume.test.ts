// Resuming: a sweep killed (SIGKILL, no chance to clean up) at seeded random moments and run again
// loses no finished point and duplicates none, and ends with exactly the rows of an uninterrupted run.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../src/engine/random.js";
import type { Cell } from "../src/engine/sweep/sweepColumns.js";
import { ResultLog } from "../src/node/sweep/resultLog.js";
import { cli, requireBuild, resultRows, trainSweep, ultrasim } from "./sweepHelpers.js";

let dir: string;
beforeAll(() => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), "ultrasim-resume-"));
  writeFileSync(
    join(dir, "sweep.yaml"),
    trainSweep().replace("operations.usdPerChipHour: [2, 3.5]", "operations.usdPerChipHour: [2, 3.5]\n  operations.pue: [1.1, 1.2, 1.3]"),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Points in the shard's log: complete lines only (a torn last line is not a finished point). */
function loggedPoints(out: string): number[] {
  if (!existsSync(join(dir, out))) return [];
  const log = readdirSync(join(dir, out)).find((n) => n.endsWith(".log"));
  if (!log) return [];
  const lines = readFileSync(join(dir, out, log), "utf8")
    .split("\n")
    .slice(1, -1);
  return lines.map((line) => (JSON.parse(line.slice(0, line.lastIndexOf("\t"))) as number[])[0]!);
}

/** Processes whose parent is `pid` (Linux's /proc; none elsewhere). */
function childrenOf(pid: number): number[] {
  if (!existsSync("/proc/self/status")) return [];
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${name}/status`, "utf8"))?.[1] === String(pid);
      } catch {
        return false; // ended while we looked
      }
    })
    .map(Number);
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));

/**
 * Run the sweep and SIGKILL it once its log holds `points` finished points (or when it ends by itself).
 * Resolves with the sweep's worker processes, every one seen while it ran.
 */
function runAndKillAt(args: string[], points: number): Promise<number[]> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: dir, stdio: "ignore" });
    const workers = new Set<number>();
    const look = () => childrenOf(child.pid!).forEach((pid) => workers.add(pid));
    const watch = setInterval(look, 25);
    const poll = setInterval(() => {
      if (loggedPoints("killed").length >= points && child.exitCode === null) {
        look();
        child.kill("SIGKILL");
      }
    }, 2);
    child.on("exit", () => {
      clearInterval(poll);
      clearInterval(watch);
      resolve([...workers]);
    });
  });
}

describe("sweep resume", () => {
  it("loses and duplicates no point when killed at random moments", async () => {
    const whole = ultrasim(dir, ["sweep", "run", "sweep.yaml", "--out", "whole", "--workers", "1", "--quiet", "--format", "jsonl"]);
    expect(whole.code, whole.stderr).toBe(0);
    const expected = await resultRows(join(dir, "whole"));

    const random = seededRandom(20240607);
    const args = ["sweep", "run", "sweep.yaml", "--out", "killed", "--workers", "1", "--quiet", "--format", "jsonl"];
    let logged = new Set<number>();
    let workersSeen = 0;
    for (let kill = 0; kill < 5; kill++) {
      // Kill at a random point up to a quarter of the sweep further on (the log grows a batch at a time,
      // so most kills land between batches, some in the middle of one).
      const target = logged.size + 1 + Math.floor(random.next() * Math.min(expected.length - logged.size - 1, expected.length / 4));
      const workers = await runAndKillAt(args, target);
      workersSeen += workers.length;
      // The workers (child processes) go with the sweep: none is left orphaned, running on.
      for (let wait = 0; wait < 100 && workers.some(alive); wait++) await new Promise((r) => setTimeout(r, 50));
      expect(workers.filter(alive), "workers left running after the sweep was killed").toEqual([]);
      const points = loggedPoints("killed");
      expect(new Set(points).size, "a point logged twice").toBe(points.length);
      for (const p of logged) expect(points, `point ${p} lost`).toContain(p);
      logged = new Set(points);
      if (existsSync(join(dir, "killed", "sweep.jsonl"))) break;
    }
    expect(logged.size, "no kill landed inside the run").toBeGreaterThan(0);
    if (existsSync("/proc/self/status")) expect(workersSeen, "no worker process seen at a kill").toBeGreaterThan(0);
    // Run to the end, as an operator would after the last kill.
    const last = ultrasim(dir, args);
    expect(last.code, last.stderr).toBe(0);
    expect(await resultRows(join(dir, "killed"))).toEqual(expected);
    expect(readdirSync(join(dir, "killed")).filter((n) => n.endsWith(".log") || n.endsWith(".tmp"))).toEqual([]);
  });
});

describe("the result log", () => {
  it("drops a torn last line and never logs a point twice", () => {
    const path = join(dir, "torn.log");
    const header = { hash: "abc", shard: 0, shards: 1 };
    const log = new ResultLog(path, header);
    log.append([
      [0, 1.5],
      [1, 2.5],
    ]);
    log.close();
    writeFileSync(path, readFileSync(path, "utf8") + "[2, 3."); // a kill in the middle of a write
    const reopened = new ResultLog(path, header);
    expect(reopened.points()).toEqual([0, 1]);
    reopened.append([
      [1, 2.5],
      [2, 3.5],
    ]);
    reopened.close();
    // Each line: the row's JSON, a tab, then the first 16 hex digits of the JSON's SHA-256.
    const check = (json: string) => `${json}\t${createHash("sha256").update(json).digest("hex").slice(0, 16)}`;
    expect(readFileSync(path, "utf8").split("\n").slice(1)).toEqual([check("[0,1.5]"), check("[1,2.5]"), check("[2,3.5]"), ""]);
    expect(() => new ResultLog(path, { ...header, hash: "def" })).toThrow(/another sweep or shard/);
  });

  it("reads each point's row back from the log, in any order, multi-byte text included", () => {
    const path = join(dir, "rows.log");
    const header = { hash: "abc", shard: 0, shards: 1 };
    const rows: Cell[][] = [
      [0, "Trainium3 · 144 chips", 1.5],
      [1, "naïve — ∞", null],
      [2, "", true],
    ];
    const log = new ResultLog(path, header);
    log.append(rows.slice(0, 2));
    expect(log.rows([1, 0])).toEqual([rows[1], rows[0]]);
    log.close();
    const reopened = new ResultLog(path, header);
    reopened.append(rows.slice(1));
    expect(reopened.size).toBe(3);
    expect(reopened.rows([2, 1, 0])).toEqual([rows[2], rows[1], rows[0]]);
    reopened.close();
  });
});
