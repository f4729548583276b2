// The batch-system contract, run locally: N shard processes, each told its index the way Kubernetes
// Indexed Jobs, AWS Batch array jobs or Slurm job arrays tell it, then a merge. The merged result must
// equal a one-machine run of the same sweep, row for row.
import { mkdtempSync, rmSync, writeFileSync, readdirSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuild, resultRows, trainSweep, ultrasim, ultrasimAsync } from "./sweepHelpers.js";

let dir: string;
beforeAll(() => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), "ultrasim-sweep-"));
  writeFileSync(join(dir, "sweep.yaml"), trainSweep());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ENGINES: { name: string; shards: number; env: (i: number) => Record<string, string> }[] = [
  { name: "Kubernetes Indexed Job", shards: 3, env: (i) => ({ JOB_COMPLETION_INDEX: String(i), ULTRASIM_SHARD_COUNT: "3" }) },
  { name: "AWS Batch array job", shards: 2, env: (i) => ({ AWS_BATCH_JOB_ARRAY_INDEX: String(i), AWS_BATCH_JOB_ARRAY_SIZE: "2" }) },
  // Slurm arrays often start at 1 (--array=1-3): the index is the task id less the minimum.
  {
    name: "Slurm job array",
    shards: 3,
    env: (i) => ({ SLURM_ARRAY_TASK_ID: String(i + 1), SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "3" }),
  },
];

describe("sweep across machines", () => {
  it("merges shards from each batch system into exactly the one-machine result", async () => {
    const one = ultrasim(dir, ["sweep", "run", "sweep.yaml", "--out", "one", "--workers", "1", "--quiet"]);
    expect(one.stderr).toBe("");
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/results: one\/sweep\.parquet/);
    const expected = await resultRows(join(dir, "one"));
    expect(expected.length).toBeGreaterThan(20);
    expect(expected.map((r) => r[0])).toEqual(expected.map((_, i) => i));

    for (const engine of ENGINES) {
      const out = `out-${engine.shards}-${engine.name.split(" ")[0]}`;
      // The shards run at once, as the batch system would start them, with nothing but the environment to tell them apart.
      const runs = await Promise.all(
        Array.from({ length: engine.shards }, (_, i) =>
          ultrasimAsync(dir, ["sweep", "run", "sweep.yaml", "--out", out, "--shard", "auto", "--workers", "1", "--quiet"], engine.env(i)),
        ),
      );
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      const status = ultrasim(dir, ["sweep", "status", out]);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(new RegExp(`done: ${engine.shards} of ${engine.shards}`));
      const merge = ultrasim(dir, ["sweep", "merge", out]);
      expect(merge.code, merge.stderr).toBe(0);
      expect(await resultRows(join(dir, out)), engine.name).toEqual(expected);
    }
  });

  it("gives the same rows with workers as child processes (the default) or threads, one or several", async () => {
    const expected = await resultRows(join(dir, "one"));
    for (const [pool, workers] of [
      ["processes", "3"],
      ["threads", "3"],
      ["threads", "1"],
    ] as const) {
      const out = `pool-${pool}-${workers}`;
      const r = ultrasim(dir, ["sweep", "run", "sweep.yaml", "--out", out, "--pool", pool, "--workers", workers, "--quiet"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe("");
      expect(await resultRows(join(dir, out)), `${pool} × ${workers}`).toEqual(expected);
    }
    const bad = ultrasim(dir, ["sweep", "run", "sweep.yaml", "--out", "bad-pool", "--pool", "fibers"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--pool/);
  });

  it("lists missing shards, and refuses to merge without them or with another sweep's shard", async () => {
    const out = "partial";
    const first = ultrasim(dir, [
      "sweep",
      "run",
      "sweep.yaml",
      "--out",
      out,
      "--shard-index",
      "1",
      "--shard-count",
      "4",
      "--workers",
      "1",
      "--quiet",
      "--format",
      "csv",
    ]);
    expect(first.code, first.stderr).toBe(0);
    const status = ultrasim(dir, ["sweep", "status", out]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/missing: shards 0, 2-3 of 4 \(indices from 0/);
    const merge = ultrasim(dir, ["sweep", "merge", out]);
    expect(merge.code).toBe(2);
    expect(merge.stderr).toMatch(/3 of 4 shard\(s\) missing or damaged: 0, 2-3/);

    // Another sweep cannot write into the same directory ...
    writeFileSync(join(dir, "other.yaml"), trainSweep().replace("seqLen: 2048", "seqLen: 4096"));
    const other = ultrasim(dir, [
      "sweep",
      "run",
      "other.yaml",
      "--out",
      out,
      "--shard-index",
      "0",
      "--shard-count",
      "4",
      "--quiet",
      "--format",
      "csv",
    ]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds results of another sweep/);
    // ... and a shard file of another sweep copied in is caught by the merge.
    const elsewhere = ultrasim(dir, [
      "sweep",
      "run",
      "other.yaml",
      "--out",
      "elsewhere",
      "--shard-index",
      "0",
      "--shard-count",
      "4",
      "--quiet",
      "--format",
      "csv",
      "--workers",
      "1",
    ]);
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    const stray = readdirSync(join(dir, "elsewhere")).find((n) => n.startsWith("shard-00000"))!;
    copyFileSync(join(dir, "elsewhere", stray), join(dir, out, stray));
    const mixed = ultrasim(dir, ["sweep", "merge", out]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/belongs to another sweep/);
  });

  it("queries merged results with SQL", () => {
    const r = ultrasim(dir, [
      "sweep",
      "query",
      "one",
      "--json",
      "--sql",
      "select count(*) as n, min(stepSeconds) > 0 as positive from sweep where error is null",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { n: unknown; positive: boolean }[];
    expect(Number(rows[0]!.n)).toBeGreaterThan(0);
    expect(rows[0]!.positive).toBe(true);
    const bad = ultrasim(dir, ["sweep", "query", "one", "--sql", "select nosuchcolumn from sweep"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--sql: .*nosuchcolumn/);
  });
});
