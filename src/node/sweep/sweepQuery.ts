// SQL over a sweep's merged results with DuckDB, embedded (its Node binding ships a prebuilt library
// in the npm package): the results are the view `sweep`, one row per point.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { UltrasimError } from "../../engine/errors.js";
import { mergedFile, readManifest } from "./sweepDirectory.js";

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
  source: string;
}

/** The results file to query: `target` itself, or the merged file of the sweep directory `target`. */
function resultsFile(target: string): string {
  if (!existsSync(target)) throw new UltrasimError("FILE_ERROR", "cannot read: no such file or directory", { file: target });
  if (!statSync(target).isDirectory()) return target;
  const manifest = readManifest(target);
  const merged = join(target, mergedFile(manifest));
  if (!existsSync(merged))
    throw new UltrasimError("INVALID_INPUT", `no merged results yet: run \`ultrasim sweep merge ${target}\` first`, { file: target });
  return merged;
}

export async function querySweep(target: string, sql: string): Promise<QueryResult> {
  const source = resultsFile(target);
  const quoted = `'${source.replaceAll("'", "''")}'`;
  const reader = source.endsWith(".parquet")
    ? `read_parquet(${quoted})`
    : source.endsWith(".csv")
      ? `read_csv(${quoted}, header = true)`
      : `read_json(${quoted}, format = 'newline_delimited')`;
  let duckdb: typeof import("@duckdb/node-api");
  try {
    duckdb = await import("@duckdb/node-api");
  } catch (e) {
    throw new UltrasimError(
      "INVALID_INPUT",
      `the embedded SQL engine (DuckDB) cannot load on this platform: ${(e as Error).message.split("\n")[0]}`,
      {
        field: "--sql",
      },
    );
  }
  const instance = await duckdb.DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await connection.run(`CREATE VIEW sweep AS SELECT * FROM ${reader}`);
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
