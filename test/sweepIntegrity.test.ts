// Damage after the fact: a finished shard whose bytes change (flipped bits at random offsets,
// truncation, emptied), a shard's log with a point's number edited, or a damaged sweep.json. Each is
// named on stderr, counted missing by `sweep status`, refused by `sweep merge`, and a rerun of the
// shard restores the byte-identical result. Also: the lock that keeps two runs of one shard apart,
// --out naming a file, the shard numbering every message uses, and `sweep query`'s refusals.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../src/engine/random.js";
import { shardPoints } from "../src/engine/sweep/sweepPoints.js";
import { readRows, RESULT_FORMATS, type ResultFormat } from "../src/node/sweep/resultFile.js";
import { logLine, type LogHeader } from "../src/node/sweep/resultLog.js";
import { recordPath } from "../src/node/sweep/shardRecord.js";
import { mergeShards, readManifest, shardFile, shardLog, shardStem, sweepStatus } from "../src/node/sweep/sweepDirectory.js";
import { DUCKDB_VERSION } from "../src/node/sweep/sweepQuery.js";
import { requireBuild, ultrasim, ultrasimAsync } from "./sweepHelpers.js";

let dir: string;
beforeAll(() => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), "ultrasim-integrity-"));
  writeFileSync(join(dir, "small.yaml"), smallSweep(["system.chips: [16, 32]", "parallelism.tp: [1, 2, 4, 8]", "parallelism.dp: [2, 4]"]));
  writeFileSync(
    join(dir, "big.yaml"),
    smallSweep([
      "system.chips: [16, 32, 64, 128]",
      "parallelism.tp: [1, 2, 4, 8]",
      "parallelism.pp: [1, 2, 4]",
      "parallelism.dp: [2, 4, 8, 16]",
      "run.microBatch: [1, 2, 4]",
      "operations.usdPerChipHour: [2, 3, 4, 5]",
    ]),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A train sweep of Llama 3 8B layouts with these axes. */
function smallSweep(axes: string[]): string {
  return `schemaVersion: 1
name: small
kind: train
base:
  model: llama3-8b
  system: { id: dgx-h100, chips: 16 }
  run: { seqLen: 2048, globalBatch: 128, microBatch: 1, precision: bf16 }
  parallelism: { tp: 1, pp: 1, dp: 16, cp: 1, ep: 1, etp: null, vpp: 1, sequenceParallel: true, zero: 1, recompute: selective }
axes:
${axes.map((a) => `  ${a}`).join("\n")}
`;
}

const SHARDS = 2;
const run = (out: string, index: number, format: ResultFormat, ...more: string[]) =>
  ultrasim(dir, [
    "sweep",
    "run",
    "small.yaml",
    "--out",
    out,
    "--format",
    format,
    "--shard-index",
    String(index),
    "--shard-count",
    String(SHARDS),
    "--workers",
    "1",
    "--quiet",
    ...more,
  ]);
const noStack = (text: string) => expect(text, "a stack trace").not.toMatch(/^\s+at |Error:|node:internal/m);

interface Damage {
  name: string;
  apply(file: string): void;
}

/** Bit flips at seeded random offsets of the file (each its own case), truncations and an emptied file. */
function damages(seed: number): Damage[] {
  const random = seededRandom(seed);
  const flips = Array.from({ length: 3 }, (): Damage => {
    const at = random.next();
    const bit = Math.floor(random.next() * 8);
    return {
      name: `bit ${bit} flipped at ${(at * 100).toFixed(1)}% of the file`,
      apply: (file) => {
        const content = readFileSync(file);
        content[Math.floor(at * content.length)]! ^= 1 << bit;
        writeFileSync(file, content);
      },
    };
  });
  const size = (file: string) => readFileSync(file).length;
  return [
    ...flips,
    { name: "truncated by one byte", apply: (file) => truncateSync(file, size(file) - 1) },
    { name: "truncated to half", apply: (file) => truncateSync(file, Math.floor(size(file) / 2)) },
    { name: "emptied", apply: (file) => truncateSync(file, 0) },
  ];
}

describe.each(RESULT_FORMATS)("a damaged %s shard", (format) => {
  it("is named, counted missing, never merged, and a rerun restores the identical bytes", async () => {
    const out = join(dir, `damage-${format}`);
    for (let i = 0; i < SHARDS; i++) expect(run(out, i, format).code).toBe(0);
    const manifest = readManifest(out);
    const merge = ultrasim(dir, ["sweep", "merge", out]);
    expect(merge.code, merge.stderr).toBe(0);
    const files = Array.from({ length: SHARDS }, (_, i) => join(out, shardFile(manifest, i)));
    const pristine = files.map((f) => readFileSync(f));
    const merged = join(out, `sweep.${format}`);
    const pristineMerged = readFileSync(merged);
    // Each shard's rows are its own points, in order: the files checked below are the right ones.
    for (let i = 0; i < SHARDS; i++)
      expect((await readRows(files[i]!, format, manifest.columns)).rows.map((r) => r[0])).toEqual(shardPoints(manifest.points, i, SHARDS));

    const cases = damages(format.length * 7919);
    for (const [n, damage] of cases.entries()) {
      const index = n % SHARDS;
      const file = files[index]!;
      damage.apply(file);
      expect(readFileSync(file).equals(pristine[index]!), `${damage.name} changed nothing`).toBe(false);

      const status = sweepStatus(out);
      expect(status.shards[index]!.state, damage.name).toBe("damaged");
      expect(status.shards[1 - index]!.state, damage.name).toBe("done");
      const named: string[] = [];
      await expect(
        mergeShards(out, join(out, "never.out"), (f) => named.push(f)),
        damage.name,
      ).rejects.toThrow(`1 of 2 shard(s) missing or damaged: ${index}`);
      expect(named).toEqual([file]);
      expect(existsSync(join(out, "never.out"))).toBe(false);

      const rerun = run(out, index, format);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.stderr, damage.name).toContain(`${file}: damaged (`);
      expect(readFileSync(file).equals(pristine[index]!), `${damage.name}: the rerun differs`).toBe(true);
    }

    // The CLI's side, once: one line naming the file on stderr, the exit codes, no stack.
    cases[0]!.apply(files[0]!);
    const status = ultrasim(dir, ["sweep", "status", out]);
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(new RegExp(`^ultrasim: ${files[0]}: damaged \\(.*\\): shard 0 of 2 counts as missing; run it again\\n$`));
    expect(status.stdout).toMatch(/done: 1 of 2/);
    expect(status.stdout).toMatch(/missing: shard 0 of 2/);
    const refused = ultrasim(dir, ["sweep", "merge", out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`ultrasim: ${files[0]}: damaged (`);
    expect(refused.stderr).toMatch(/1 of 2 shard\(s\) missing or damaged: 0 /);
    noStack(refused.stderr);
    expect(readFileSync(merged).equals(pristineMerged), "a refused merge touched the merged file").toBe(true);
    expect(run(out, 0, format).code).toBe(0);
    rmSync(merged);
    expect(ultrasim(dir, ["sweep", "merge", out]).code).toBe(0);
    expect(readFileSync(merged).equals(pristineMerged), "the merged file differs after the rerun").toBe(true);
  }, 240_000);
});

describe("a damaged log or record", () => {
  it("drops a log line whose point number was edited, and runs that point again", () => {
    const out = join(dir, "log-edit");
    expect(run(out, 1, "jsonl").code).toBe(0);
    const manifest = readManifest(out);
    const file = join(out, shardFile(manifest, 1));
    const pristine = readFileSync(file);
    // The log a run killed just before compaction leaves, rebuilt from the finished rows; then one
    // point's number edited (3 -> 5, both this shard's): its line's checksum no longer matches.
    const rows = pristine
      .toString("utf8")
      .trim()
      .split("\n")
      .map((line) => manifest.columns.map((c) => (JSON.parse(line) as Record<string, unknown>)[c.name] ?? null));
    const header: LogHeader = { ultrasimSweepLog: 2, hash: manifest.hash, shard: 1, shards: SHARDS };
    const lines = rows.map((row) => logLine(row as never));
    expect(lines[1]!.startsWith("[3,")).toBe(true);
    lines[1] = lines[1]!.replace("[3,", "[5,");
    rmSync(file);
    rmSync(recordPath(file));
    writeFileSync(join(out, shardLog(manifest, 1)), JSON.stringify(header) + "\n" + lines.join(""));

    const rerun = run(out, 1, "jsonl");
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toBe(`ultrasim: ${join(out, shardLog(manifest, 1))}: 1 damaged line(s) dropped: their points run again\n`);
    expect(rerun.stdout).toMatch(new RegExp(`${rows.length - 1} resumed`));
    expect(readFileSync(file).equals(pristine)).toBe(true);
  });

  it("counts a shard with no record (a kill before it was written) or a changed record as damaged", () => {
    const out = join(dir, "record");
    expect(run(out, 0, "csv").code).toBe(0);
    const manifest = readManifest(out);
    const record = recordPath(join(out, shardFile(manifest, 0)));
    const text = readFileSync(record, "utf8");
    writeFileSync(record, text.replace(/"rows": \d+/, '"rows": 1'));
    expect(sweepStatus(out).shards[0]).toMatchObject({ state: "damaged", damage: expect.stringMatching(/counts 1 rows/) as unknown });
    rmSync(record);
    expect(sweepStatus(out).shards[0]).toMatchObject({ state: "damaged", damage: expect.stringMatching(/no record/) as unknown });
    expect(run(out, 0, "csv").code).toBe(0);
    expect(sweepStatus(out).shards[0]!.state).toBe("done");
  });

  it("removes what a run killed between writing a file and renaming it left behind, and only that", () => {
    const out = join(dir, "temporaries");
    expect(run(out, 0, "csv").code).toBe(0);
    const shard = shardFile(readManifest(out), 0);
    // As a killed writer leaves them: `.<name>.<pid>.<random>.tmp` beside the shard and its record.
    const stale = [`.${shard}.4242.abc123.tmp`, `.${shard}.sha256.json.4242.def456.tmp`];
    const other = `.${shardFile(readManifest(out), 1)}.4242.ghi789.tmp`; // shard 1's, not this run's to touch
    for (const name of [...stale, other]) writeFileSync(join(out, name), "half a file");
    rmSync(join(out, shard)); // the kill landed before the rename: the shard runs again
    expect(run(out, 0, "csv").code).toBe(0);
    const names = readdirSync(out);
    for (const name of stale) expect(names).not.toContain(name);
    expect(names).toContain(other);
    expect(sweepStatus(out).shards[0]!.state).toBe("done");
  });
});

describe("a damaged sweep.json", () => {
  it.each([
    ["emptied", ""],
    ["cut short", '{"ultrasimSweep": 1, "hash": "ab'],
    ["not a manifest", "[1, 2, 3]\n"],
    ["a field lost", '{"ultrasimSweep": 1, "hash": "abc", "points": 4}\n'],
  ])("%s: one clear line and exit 2 from status, merge, query and run", (_, content) => {
    const out = join(dir, `manifest-${content.length}`);
    expect(run(out, 0, "csv").code).toBe(0);
    writeFileSync(join(out, "sweep.json"), content);
    for (const args of [
      ["sweep", "status", out],
      ["sweep", "merge", out],
      ["sweep", "query", out, "--sql", "select 1"],
      ["sweep", "run", "small.yaml", "--out", out, "--format", "csv", "--shard-index", "0", "--shard-count", "2", "--quiet"],
    ]) {
      const r = ultrasim(dir, args);
      expect(r.code, args[1]).toBe(2);
      expect(r.stderr, args[1]).toMatch(new RegExp(`^ultrasim: ${join(out, "sweep.json")}: .*the manifest is damaged; delete it .*\\n$`));
    }
    // As the message says: deleted, the same sweep writes it again and finds its finished shard.
    rmSync(join(out, "sweep.json"));
    const again = run(out, 0, "csv");
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already complete/);
  });
});

describe("shard numbering", () => {
  it("names a shard by its index from 0, as --shard-index takes it, in every message", () => {
    const out = join(dir, "numbering");
    const first = run(out, 0, "csv");
    expect(first.stdout).toMatch(/^shard 0 of 2: \d+ points in /);
    const status = ultrasim(dir, ["sweep", "status", out]);
    expect(status.stdout).toMatch(/missing: shard 1 of 2 \(indices from 0/);
    const json = ultrasim(dir, ["sweep", "status", out, "--json"]);
    expect((JSON.parse(json.stdout) as { missing: number[] }).missing).toEqual([1]);
    const merge = ultrasim(dir, ["sweep", "merge", out]);
    expect(merge.stderr).toMatch(/1 of 2 shard\(s\) missing or damaged: 1 \(indices from 0/);
    // The missing one is the one --shard-index 1 runs.
    const second = run(out, 1, "csv");
    expect(second.stdout).toMatch(/^shard 1 of 2: \d+ points in /);
    expect(ultrasim(dir, ["sweep", "status", out]).code).toBe(0);
  });
});

describe("two runs of one shard at once", () => {
  const args = (out: string) => ["sweep", "run", "small.yaml", "--out", out, "--workers", "1", "--quiet"];

  it("refuses the second while the first (a live pid) holds the lock, and takes over a dead run's lock", () => {
    const out = join(dir, "locked");
    expect(ultrasim(dir, args(out)).code).toBe(0);
    for (const name of readdirSync(out)) if (name.startsWith("shard-")) rmSync(join(out, name));
    const manifest = readManifest(out);
    const lock = join(out, `${shardStem(manifest, 0)}.lock`);

    // This test's own process: alive, on this host.
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname() }) + "\n");
    const refused = ultrasim(dir, args(out));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `ultrasim: ${out}: --out: another run holds this directory (pid ${process.pid}): wait for it to finish, or delete ${lock} if no run is going\n`,
    );
    expect(existsSync(join(out, shardFile(manifest, 0))), "the refused run did work").toBe(false);

    // A process that has exited: its lock is stale and taken over.
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    writeFileSync(lock, JSON.stringify({ pid: Number(dead.stdout), host: hostname() }) + "\n");
    const taken = ultrasim(dir, args(out));
    expect(taken.code, taken.stderr).toBe(0);
    expect(existsSync(lock), "the lock outlived its run").toBe(false);
  });

  it("lets exactly one of two runs started together on the same --out go on", async () => {
    const out = join(dir, "race");
    // About 2,300 points on one worker: several seconds, long enough for the two to overlap.
    const big = ["sweep", "run", "big.yaml", "--out", out, "--workers", "1", "--quiet", "--format", "csv"];
    const runs = await Promise.all([ultrasimAsync(dir, big), ultrasimAsync(dir, big)]);
    const codes = runs.map((r) => r.code).sort();
    expect(codes, runs.map((r) => r.stderr).join("")).toEqual([0, 2]);
    const loser = runs.find((r) => r.code === 2)!;
    expect(loser.stderr).toMatch(/^ultrasim: .*: --out: another run holds this directory \(pid \d+\)/);
    expect(
      readdirSync(out).filter((n) => n.endsWith(".lock")),
      "a lock outlived its run",
    ).toEqual([]);
  }, 120_000);
});

describe("sweep run --out", () => {
  it("names an existing regular file in one line, exit 2", () => {
    writeFileSync(join(dir, "a-file"), "not a directory\n");
    const r = ultrasim(dir, ["sweep", "run", "small.yaml", "--out", "a-file", "--quiet"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("ultrasim: a-file: --out: is a file, not a folder: --out names an output folder\n");
    expect(readFileSync(join(dir, "a-file"), "utf8")).toBe("not a directory\n");
  });
});

describe("sweep query", () => {
  it.each([
    ["notes.txt", "hello\n", /its name ends in '\.txt'/],
    ["other.csv", "a,b\n1,2\n", /its header does not start with the column point/],
    ["other.jsonl", '{"a": 1}\n', /its first line has no point number/],
    ["garbage.parquet", "not parquet at all", /no Parquet header/],
  ])("refuses %s, which is not a sweep result, in one line, exit 2", (name, content, why) => {
    writeFileSync(join(dir, name), content);
    const r = ultrasim(dir, ["sweep", "query", name, "--sql", "select 1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^ultrasim: ${name}: not a sweep result file \\(${why.source}\\)`));
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("says how to install DuckDB when it is not installed", () => {
    // DuckDB's pin in the message is the one package.json installs, as an optional dependency.
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      dependencies: Record<string, string>;
      optionalDependencies: Record<string, string>;
    };
    expect(pkg.optionalDependencies["@duckdb/node-api"]).toBe(DUCKDB_VERSION);
    expect(pkg.dependencies["@duckdb/node-api"]).toBeUndefined();

    // An install without it: the built CLI beside node_modules holding every package but @duckdb.
    const root = fileURLToPath(new URL("..", import.meta.url));
    const bare = join(dir, "no-duckdb");
    cpSync(join(root, "dist"), join(bare, "dist"), { recursive: true });
    cpSync(join(root, "package.json"), join(bare, "package.json"));
    cpSync(join(root, "data"), join(bare, "data"), { recursive: true });
    mkdirSync(join(bare, "node_modules"));
    for (const name of readdirSync(join(root, "node_modules")))
      if (name !== "@duckdb") symlinkSync(join(root, "node_modules", name), join(bare, "node_modules", name));
    const out = join(dir, "query-me");
    expect(ultrasim(dir, ["sweep", "run", "small.yaml", "--out", out, "--workers", "1", "--quiet"]).code).toBe(0);
    const r = spawnSync(process.execPath, [join(bare, "dist/src/cli/main.js"), "sweep", "query", out, "--sql", "select 1"], {
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `ultrasim: --sql: sweep query needs DuckDB, an optional dependency that is not installed: run \`npm install @duckdb/node-api@${DUCKDB_VERSION}\`\n`,
    );
    // With it installed, the same query runs.
    const ok = ultrasim(dir, ["sweep", "query", out, "--json", "--sql", "select count(*) as n from sweep"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(Number((JSON.parse(ok.stdout) as { n: unknown }[])[0]!.n)).toBe(16);
  });
});
