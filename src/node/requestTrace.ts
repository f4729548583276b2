// A trace of requests to replay: CSV with a header naming arrival time (seconds), input tokens and
// output tokens, or JSONL with those fields per line. Errors name the file and the line.
import { readFileSync } from "node:fs";
import { UltrasimError } from "../engine/errors.js";
import type { RequestSpec } from "../engine/serve/scenario.js";

const COLUMNS = {
  arrivalSeconds: ["arrival_time", "arrivalseconds", "arrival_seconds", "arrival", "timestamp", "time"],
  inputTokens: ["input_tokens", "inputtokens", "prompt_tokens", "num_prefill_tokens", "input"],
  outputTokens: ["output_tokens", "outputtokens", "completion_tokens", "num_decode_tokens", "output"],
} as const;
type Column = keyof typeof COLUMNS;

function fail(file: string, line: number, field: string | undefined, message: string): never {
  throw new UltrasimError("INVALID_INPUT", message, { file, line, field });
}

function check(file: string, line: number, values: Record<Column, unknown>, previous: number): RequestSpec {
  const out: Partial<RequestSpec> = {};
  for (const column of Object.keys(COLUMNS) as Column[]) {
    const raw = values[column];
    const value = typeof raw === "string" ? Number(raw.trim()) : raw;
    if (raw === undefined || raw === null || raw === "") fail(file, line, column, "missing value");
    if (typeof value !== "number" || !Number.isFinite(value)) fail(file, line, column, `not a number: ${JSON.stringify(raw)}`);
    if (value < 0) fail(file, line, column, `must not be negative, got ${value}`);
    if (column !== "arrivalSeconds" && !Number.isInteger(value)) fail(file, line, column, `must be a whole number of tokens, got ${value}`);
    out[column] = value;
  }
  if (out.arrivalSeconds! < previous)
    fail(
      file,
      line,
      "arrivalSeconds",
      `arrival times must not decrease: ${out.arrivalSeconds} after ${previous} (sort the trace by arrival time)`,
    );
  return out as RequestSpec;
}

export function readRequestTrace(file: string): RequestSpec[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new UltrasimError("FILE_ERROR", `cannot read trace: ${reason}`, { file });
  }
  const lines = text.split(/\r?\n/);
  const requests: RequestSpec[] = [];
  let previous = -Infinity;
  const jsonl =
    file.endsWith(".jsonl") ||
    file.endsWith(".ndjson") ||
    lines
      .find((l) => l.trim())
      ?.trim()
      .startsWith("{");
  if (jsonl) {
    lines.forEach((l, i) => {
      if (!l.trim()) return;
      let row: Record<string, unknown>;
      try {
        row = JSON.parse(l) as Record<string, unknown>;
      } catch (e) {
        fail(file, i + 1, undefined, `malformed JSON: ${(e as Error).message}`);
      }
      const lower = new Map(Object.entries(row).map(([k, v]) => [k.toLowerCase(), v]));
      const values = {} as Record<Column, unknown>;
      for (const column of Object.keys(COLUMNS) as Column[]) {
        const key = [column.toLowerCase(), ...COLUMNS[column]].find((k) => lower.has(k));
        if (key === undefined) fail(file, i + 1, column, `missing field (one of ${COLUMNS[column].join(", ")})`);
        values[column] = lower.get(key);
      }
      const r = check(file, i + 1, values, previous);
      previous = r.arrivalSeconds;
      requests.push(r);
    });
  } else {
    const headerIndex = lines.findIndex((l) => l.trim() && !l.trim().startsWith("#"));
    if (headerIndex < 0) fail(file, 1, undefined, "empty trace: expected a header line");
    const header = lines[headerIndex]!.split(",").map((h) => h.trim().toLowerCase());
    const index = {} as Record<Column, number>;
    for (const column of Object.keys(COLUMNS) as Column[]) {
      const at = header.findIndex((h) => h === column.toLowerCase() || (COLUMNS[column] as readonly string[]).includes(h));
      if (at < 0) fail(file, headerIndex + 1, column, `missing column (name it one of ${COLUMNS[column].join(", ")})`);
      index[column] = at;
    }
    for (let i = headerIndex + 1; i < lines.length; i++) {
      const l = lines[i]!;
      if (!l.trim() || l.trim().startsWith("#")) continue;
      const cells = l.split(",");
      if (cells.length < header.length) fail(file, i + 1, undefined, `expected ${header.length} columns, got ${cells.length}`);
      const values = {} as Record<Column, unknown>;
      for (const column of Object.keys(COLUMNS) as Column[]) values[column] = cells[index[column]];
      const r = check(file, i + 1, values, previous);
      previous = r.arrivalSeconds;
      requests.push(r);
    }
  }
  if (requests.length === 0) fail(file, lines.length, undefined, "no requests in the trace");
  return requests;
}
