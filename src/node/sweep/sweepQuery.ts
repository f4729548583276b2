// SQL over a sweep's merged results with DuckDB, embedded (its Node binding ships a prebuilt library
// in the npm package): the results are the view `sweep`, one row per point. DuckDB is an optional
// dependency (a native library of some 70 MB that only this command needs), loaded on first use.
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { UltrasimError } from "../../engine/errors.js";
import { mergedFile, readManifest } from "./sweepDirectory.js";

/** The version package.json pins under optionalDependencies: what the install hint names. */
export const DUCKDB_VERSION = "1.5.6-r.1";

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
  source: string;
}

/** The first `length` bytes of `path` (fewer if the file is shorter). */
function head(path: string, length: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const bytes = Buffer.alloc(length);
    return bytes.subarray(0, readSync(fd, bytes, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether `path` looks like a sweep's result file, by its start: Parquet's magic bytes, a CSV header
 * whose first column is `point`, or a JSONL line that is an object with a `point`. Enough to refuse
 * a file that is plainly something else, with a message, before DuckDB guesses at it.
 */
function checkResultFile(path: string): void {
  const notResults = (why: string) =>
    new UltrasimError(
      "INVALID_INPUT",
      `not a sweep result file (${why}): give a sweep's output directory or its .parquet, .csv or .jsonl`,
      {
        file: path,
      },
    );
  const extension = extname(path);
  const start = head(path, 1 << 16);
  if (extension === ".parquet") {
    if (start.length < 8 || start.toString("latin1", 0, 4) !== "PAR1") throw notResults("no Parquet header");
    return;
  }
  const firstLine = start.toString("utf8").split("\n", 1)[0]!.replace(/\r$/, "");
  if (extension === ".csv") {
    if (!/^"?point"?,/.test(firstLine)) throw notResults("its header does not start with the column point");
    return;
  }
  if (extension === ".jsonl") {
    let row: unknown;
    try {
      row = JSON.parse(firstLine);
    } catch {
      throw notResults("its first line is not JSON");
    }
    if (typeof row !== "object" || row === null || typeof (row as { point?: unknown }).point !== "number")
      throw notResults("its first line has no point number");
    return;
  }
  throw notResults(`its name ends in '${extension}'`);
}

/** The results file to query: `target` itself, or the merged file of the sweep directory `target`. */
function resultsFile(target: string): string {
  if (!existsSync(target)) throw new UltrasimError("FILE_ERROR", "cannot read: no such file or directory", { file: target });
  if (!statSync(target).isDirectory()) {
    checkResultFile(target);
    return target;
  }
  const manifest = readManifest(target);
  const merged = join(target, mergedFile(manifest));
  if (!existsSync(merged))
    throw new UltrasimError("INVALID_INPUT", `no merged results yet: run \`ultrasim sweep merge ${target}\` first`, { file: target });
  return merged;
}

type DuckDb = typeof import("@duckdb/node-api");

/** DuckDB's Node binding, loaded on first use; a clear message when it is not installed or cannot load here. */
async function loadDuckDb(): Promise<DuckDb> {
  try {
    return await import("@duckdb/node-api");
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" && /@duckdb\/node-api/.test((e as Error).message))
      throw new UltrasimError(
        "INVALID_INPUT",
        `sweep query needs DuckDB, an optional dependency that is not installed: run \`npm install @duckdb/node-api@${DUCKDB_VERSION}\``,
        { field: "--sql" },
      );
    throw new UltrasimError(
      "INVALID_INPUT",
      `the embedded SQL engine (DuckDB) cannot load on this platform: ${(e as Error).message.split("\n")[0]} (reinstall it: \`npm install @duckdb/node-api@${DUCKDB_VERSION}\`)`,
      { field: "--sql" },
    );
  }
}

export async function querySweep(target: string, sql: string): Promise<QueryResult> {
  const source = resultsFile(target);
  const quoted = `'${source.replaceAll("'", "''")}'`;
  const reader = source.endsWith(".parquet")
    ? `read_parquet(${quoted})`
    : source.endsWith(".csv")
      ? `read_csv(${quoted}, header = true)`
      : `read_json(${quoted}, format = 'newline_delimited')`;
  const duckdb = await loadDuckDb();
  const instance = await duckdb.DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    try {
      await connection.run(`CREATE VIEW sweep AS SELECT * FROM ${reader}`);
    } catch (e) {
      throw new UltrasimError("INVALID_INPUT", `not a readable sweep result file: ${(e as Error).message.split("\n")[0]}`, {
        file: source,
      });
    }
    let result;
    try {
      result = await connection.runAndReadAll(sql);
    } catch (e) {
      throw new UltrasimError("INVALID_INPUT", (e as Error).message.split("\n")[0]!, { field: "--sql" });
    }
    return { columns: result.columnNames(), rows: result.getRowObjectsJson() as Record<string, unknown>[], source };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
