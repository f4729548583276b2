// `ultrasim sweep`: many scenarios from one sweep file, on every core of one machine or as the shards
// of a Kubernetes Indexed Job, an AWS Batch array job or a Slurm job array; then merged and queried.
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Option, type Command } from "commander";
import Table from "../fittedTable.js";
import { evaluatePoint } from "../../engine/sweep/evaluatePoint.js";
import { loadSweep, type LoadedSweep } from "../../node/sweep/loadSweep.js";
import { RESULT_FORMATS, type ResultFormat } from "../../node/sweep/resultFile.js";
import { runShard } from "../../node/sweep/runShard.js";
import { shardFromEnvironment, type ShardFlags } from "../../node/sweep/shardFromEnvironment.js";
import { describeIndices, mergeShards, shardFile, sweepStatus } from "../../node/sweep/sweepDirectory.js";
import { POOL_KINDS, type PoolKind } from "../../node/sweep/sweepPool.js";
import { querySweep } from "../../node/sweep/sweepQuery.js";
import { checkReplaceableFile, outputDirectory } from "../../node/outputFile.js";
import { wholeNumber } from "../numberOption.js";
import { print, printJson } from "../output.js";
import { progressReporter } from "../progress.js";
import { plural } from "../../engine/report/plural.js";

const count = (n: number) => n.toLocaleString("en-US");

/** A shard as every message names it: its index from 0, as --shard-index takes it. */
export const shardName = (index: number, shards: number) => `shard ${index} of ${shards}`;

/** One line on stderr about a damaged file, named, that ultrasim has set aside or set right. */
const warnDamaged = (file: string, message: string) => process.stderr.write(`ultrasim: ${file}: ${message}\n`);

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${(s / 86400).toFixed(1)} days`;
}

const positiveInteger = (text: string | undefined, flag: string) => wholeNumber(text, flag, 1);

function load(file: string, opts: { maxPoints?: string; catalog?: string[] }): LoadedSweep {
  return loadSweep(file, { maxPoints: positiveInteger(opts.maxPoints, "--max-points"), catalogFiles: opts.catalog });
}

/** Seconds per point on one thread, from a few points spread over the sweep (at least 3, about a second's worth). */
function measurePoints(loaded: LoadedSweep): { secondsPerPoint: number; measured: number } {
  const { catalog } = loaded;
  const ids = loaded.points.productIndices;
  const started = performance.now();
  let measured = 0;
  const most = Math.min(ids.length, 50);
  while (measured < most && (measured < 3 || performance.now() - started < 1000)) {
    // The golden-ratio sequence visits the sweep evenly without repeating.
    const point = Math.floor(((measured * 0.6180339887) % 1) * ids.length);
    evaluatePoint(loaded.sweep, point, ids[point]!, catalog, loaded.columns);
    measured++;
  }
  return { secondsPerPoint: (performance.now() - started) / 1000 / measured, measured };
}

function describeSweep(loaded: LoadedSweep): string[] {
  const { sweep, points } = loaded;
  const n = points.productIndices.length;
  return [
    `sweep ${sweep.name ?? loaded.file} (${sweep.kind}), hash ${loaded.hash.slice(0, 16)}`,
    plural(n, "point", "points", count(n)) +
      (points.filteredOut ? ` (${count(points.productSize)} combinations, ${count(points.filteredOut)} dropped by filters)` : "") +
      `; limit ${count(loaded.maxPoints)}`,
    `axes: ${sweep.axes.map((a) => `${a.name} (${a.values.length})`).join(", ") || "none"}`,
  ];
}

export function registerSweep(program: Command): void {
  const sweep = program
    .command("sweep")
    .description(
      "run many scenarios from a sweep file: on every core, or as shards of a Kubernetes, AWS Batch or Slurm array; merge; query with SQL",
    );

  sweep
    .command("plan")
    .description("check a sweep file, count its points and estimate the time (runs a few points)")
    .argument("<sweep>", "a sweep file (YAML or JSON; schema/sweep.json)")
    .option("--max-points <n>", "refuse more points than this (overrides the file's maxPoints)")
    .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON); every shard needs the same ones")
    .option("--shard-count <n>", "also estimate the time per shard with this many shards")
    .option("--workers <n>", "cores to count on (default: all of this machine's)")
    .option("--json", "print the figures as JSON")
    .action((file: string, opts: { maxPoints?: string; catalog?: string[]; shardCount?: string; workers?: string; json?: boolean }) => {
      const loaded = load(file, opts);
      const shards = positiveInteger(opts.shardCount, "--shard-count") ?? 1;
      const cores = positiveInteger(opts.workers, "--workers") ?? availableParallelism();
      const n = loaded.points.productIndices.length;
      const { secondsPerPoint, measured } = measurePoints(loaded);
      const machineSeconds = (secondsPerPoint * n) / Math.min(cores, n);
      const shardSeconds = (secondsPerPoint * Math.ceil(n / shards)) / Math.min(cores, Math.ceil(n / shards));
      if (opts.json) {
        printJson({
          name: loaded.sweep.name,
          kind: loaded.sweep.kind,
          hash: loaded.hash,
          points: n,
          combinations: loaded.points.productSize,
          filteredOut: loaded.points.filteredOut,
          maxPoints: loaded.maxPoints,
          measuredPoints: measured,
          secondsPerPoint,
          cores,
          estimatedSeconds: machineSeconds,
          shards,
          estimatedSecondsPerShard: shardSeconds,
        });
        return;
      }
      const lines = [
        ...describeSweep(loaded),
        `measured ${plural(measured, "point")}: ${secondsPerPoint < 0.1 ? `${(secondsPerPoint * 1000).toFixed(1)} ms` : `${secondsPerPoint.toFixed(2)} s`} per point on one thread`,
        `estimated time: ${duration(machineSeconds)} on ${plural(cores, "core")}` +
          (shards > 1 ? `; ${duration(shardSeconds)} per shard with ${plural(shards, "shard")} of ${plural(cores, "core")}` : ""),
        // Measured in the README (Sweeps): at the bar on 2 cores, well short of it on 16.
        ...(Math.min(cores, n) > 1
          ? ["(at one thread's speed on every core: many cores at once run slower, up to twice as long measured on 16)"]
          : []),
      ];
      print(lines.join("\n"));
    });

  sweep
    .command("run")
    .description("run a sweep (or one shard of it) on every core; rerun after a kill to resume")
    .argument("<sweep>", "a sweep file (YAML or JSON)")
    .requiredOption("--out <dir>", "output directory, shared by all shards")
    .addOption(new Option("--format <format>", "result file format").choices([...RESULT_FORMATS]).default("parquet"))
    .option(
      "--shard <auto>",
      "auto: the shard index (and count) from JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX/_SIZE or SLURM_ARRAY_TASK_ID/_COUNT",
    )
    .option("--shard-index <i>", "this shard's index, from 0")
    .option("--shard-count <n>", "shards in all (with --shard auto where the environment does not say: or ULTRASIM_SHARD_COUNT)")
    .option("--workers <n>", "workers (default: one per core)")
    .addOption(new Option("--pool <kind>", "workers as child processes or worker threads").choices([...POOL_KINDS]).default("processes"))
    .option("--max-points <n>", "refuse more points than this (overrides the file's maxPoints)")
    .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON); every shard needs the same ones")
    .option("--quiet", "no progress")
    .action(
      async (
        file: string,
        opts: ShardFlags & {
          out: string;
          format: ResultFormat;
          workers?: string;
          pool: PoolKind;
          maxPoints?: string;
          catalog?: string[];
          quiet?: boolean;
        },
      ) => {
        const shard = shardFromEnvironment(opts);
        const workers = positiveInteger(opts.workers, "--workers");
        const loaded = load(file, opts);
        // The folder only once the sweep file is known good: a bad file starts no work and makes nothing.
        outputDirectory(opts.out, "--out");
        const label = shard.count > 1 ? shardName(shard.index, shard.count) : "sweep";
        const progress = progressReporter(label, !opts.quiet);
        let lastDraw = 0;
        let startedAt: number | undefined;
        let startedDone = 0;
        const outcome = await runShard(loaded, {
          out: opts.out,
          format: opts.format,
          shard,
          workers,
          pool: opts.pool,
          onWarning: warnDamaged,
          onProgress: (done, total) => {
            const now = performance.now();
            if (startedAt === undefined) [startedAt, startedDone] = [now, done];
            if (now - lastDraw < 100 && done < total) return;
            lastDraw = now;
            const rate = (done - startedDone) / Math.max(1e-3, (now - startedAt) / 1000);
            const eta = done < total && rate > 0 ? `, ETA ${duration((total - done) / rate)}` : "";
            progress.update(
              total ? done / total : 1,
              `${count(done)}/${plural(total, "point", "points", count(total))}${rate > 0 ? `, ${rate.toFixed(rate < 10 ? 1 : 0)}/s` : ""}${eta}`,
            );
          },
        });
        progress.done();
        const lines = outcome.alreadyDone
          ? [`${label}: already complete (${plural(outcome.points, "point", "points", count(outcome.points))}) in ${outcome.path}`]
          : [
              `${label}: ${plural(outcome.points, "point", "points", count(outcome.points))} in ${duration(outcome.seconds)}` +
                (outcome.resumed ? ` (${count(outcome.resumed)} resumed from an earlier run)` : "") +
                ` -> ${outcome.path}`,
            ];
        if (outcome.merged) lines.push(`results: ${outcome.merged}`);
        else lines.push(`when every shard is done: ultrasim sweep merge ${opts.out}`);
        print(lines.join("\n"));
      },
    );

  sweep
    .command("status")
    .description("which shards are done, in progress or missing (exit 1 while any is missing)")
    .argument("<dir>", "a sweep's output directory")
    .option("--json", "print the status as JSON")
    .action((dir: string, opts: { json?: boolean }) => {
      const { manifest, shards, merged } = sweepStatus(dir);
      const missing = shards.filter((s) => s.state !== "done").map((s) => s.index);
      for (const s of shards.filter((x) => x.state === "damaged"))
        warnDamaged(
          join(dir, shardFile(manifest, s.index)),
          `damaged (${s.damage}): ${shardName(s.index, manifest.shards)} counts as missing; run it again`,
        );
      if (opts.json) printJson({ hash: manifest.hash, points: manifest.points, shardCount: manifest.shards, shards, missing, merged });
      else {
        const lines = [
          `sweep ${manifest.name ?? manifest.sweepFile} (${manifest.kind}), hash ${manifest.hash.slice(0, 16)}: ${plural(manifest.points, "point", "points", count(manifest.points))} in ${plural(manifest.shards, "shard")}`,
        ];
        lines.push(`done: ${shards.length - missing.length} of ${shards.length}`);
        for (const s of shards.filter((x) => x.state === "in progress"))
          lines.push(
            `in progress: ${shardName(s.index, manifest.shards)} (${count(s.pointsDone)} of ${plural(s.points, "point", "points", count(s.points))} logged)`,
          );
        if (missing.length)
          lines.push(
            `missing: ${missing.length === 1 ? "shard" : "shards"} ${describeIndices(missing)} of ${manifest.shards} (indices from 0, as --shard-index takes them)`,
          );
        else lines.push(merged ? "merged" : `all shards done: ultrasim sweep merge ${dir}`);
        print(lines.join("\n"));
      }
      if (missing.length) process.exitCode = 1;
    });

  sweep
    .command("merge")
    .description("check every shard is present and of the same sweep (hash), then combine them into one file")
    .argument("<dir>", "a sweep's output directory")
    .option("--out <file>", "where to write (default: DIR/sweep.<format>)")
    .action(async (dir: string, opts: { out?: string }) => {
      if (opts.out !== undefined) checkReplaceableFile(opts.out, "--out");
      const { path, rows, manifest } = await mergeShards(dir, opts.out, (file, why) =>
        warnDamaged(file, `damaged (${why}): not merged; run its shard again`),
      );
      print(`merged ${plural(manifest.shards, "shard")}: ${plural(rows, "point", "points", count(rows))} -> ${path}`);
    });

  sweep
    .command("query")
    .description("run SQL over merged results with embedded DuckDB; the results are the table `sweep`")
    .argument("<results>", "a sweep's output directory, or a result file (.parquet, .csv, .jsonl)")
    .requiredOption("--sql <query>", 'e.g. "select model, min(stepSeconds) from sweep group by model"')
    .option("--json", "print rows as JSON")
    .option("--csv", "print rows as CSV")
    .action(async (target: string, opts: { sql: string; json?: boolean; csv?: boolean }) => {
      const result = await querySweep(target, opts.sql);
      const text = (v: unknown) => (v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
      if (opts.json) printJson(result.rows);
      else if (opts.csv) {
        const csv = (v: unknown) => (/[",\n]/.test(text(v)) ? `"${text(v).replaceAll('"', '""')}"` : text(v));
        print([result.columns.join(","), ...result.rows.map((r) => result.columns.map((c) => csv(r[c])).join(","))].join("\n"));
      } else {
        const table = new Table({ head: result.columns, style: { head: [], border: [] } });
        for (const r of result.rows) table.push(result.columns.map((c) => text(r[c])));
        print(`${table.toString()}\n${plural(result.rows.length, "row", "rows", count(result.rows.length))}`);
      }
    });
}
