// The columns of a sweep's results: the point number, one per axis, then the figures its kind
// outputs. The same for every shard, known before any point runs, so every result file has one schema.
import type { Sweep, SweepKind } from "./sweepFile.js";

export type ColumnType = "INT32" | "DOUBLE" | "STRING" | "BOOLEAN";
export type Cell = number | string | boolean | null;

export interface Column {
  name: string;
  type: ColumnType;
}

const doubles = (...names: string[]): Column[] => names.map((name) => ({ name, type: "DOUBLE" }));

export const OUTPUT_COLUMNS: Record<SweepKind, Column[]> = {
  train: [
    { name: "feasible", type: "BOOLEAN" },
    ...doubles("stepSeconds", "tokensPerSecond", "tokensPerSecondPerChip", "mfu", "hfu", "memoryBytesPerChip", "memoryCapacityBytes"),
    { name: "memoryFits", type: "BOOLEAN" },
    ...doubles(
      "computeSeconds",
      "tensorParallelSeconds",
      "contextParallelSeconds",
      "expertParallelSeconds",
      "pipelineParallelSeconds",
      "pipelineBubbleSeconds",
      "dataParallelSeconds",
      "optimizerSeconds",
      "facilityWatts",
      "usdPerMillionTokens",
      "kwhPerMillionTokens",
      "kgCo2PerMillionTokens",
    ),
    { name: "error", type: "STRING" },
  ],
  plan: [
    { name: "feasible", type: "BOOLEAN" },
    ...doubles("layoutsEvaluated", "layoutsFeasible", "tp", "pp", "dp", "cp", "ep", "vpp", "microBatch", "zero"),
    { name: "recompute", type: "STRING" },
    { name: "sequenceParallel", type: "BOOLEAN" },
    ...doubles(
      "stepSeconds",
      "tokensPerSecond",
      "mfu",
      "memoryBytesPerChip",
      "memoryCapacityBytes",
      "timeToTrainSeconds",
      "usdPerMillionTokens",
      "joulesPerMillionTokens",
    ),
    { name: "dominantCost", type: "STRING" },
    { name: "error", type: "STRING" },
  ],
  serve: [
    { name: "feasible", type: "BOOLEAN" },
    ...doubles(
      "chips",
      "requestsCompleted",
      "requestsRejected",
      "outputTokensPerSecond",
      "outputTokensPerSecondPerChip",
      "requestsPerSecond",
      "ttftP50Seconds",
      "ttftP99Seconds",
      "tpotP50Seconds",
      "tpotP99Seconds",
      "e2eP50Seconds",
      "e2eP99Seconds",
      "fractionMeetingSlo",
      "usdPerMillionTokens",
      "joulesPerToken",
    ),
    { name: "error", type: "STRING" },
  ],
};

/** An axis' column name: its field path with '_' for '.', so SQL reads it unquoted (run_globalBatch). */
export const axisColumnName = (axis: string) => axis.replaceAll(".", "_");

/** An axis' column type: numbers, strings or booleans where all its values are; otherwise JSON text. */
function axisColumnType(values: unknown[]): ColumnType {
  if (values.every((v) => typeof v === "number")) return "DOUBLE";
  if (values.every((v) => typeof v === "boolean")) return "BOOLEAN";
  return "STRING";
}

/** An axis value as a cell: itself where it is a number, string or boolean, else its JSON. */
export function axisCell(value: unknown, type: ColumnType): Cell {
  if (type === "STRING" && typeof value !== "string") return JSON.stringify(value);
  return value as Cell;
}

export function sweepColumns(sweep: Sweep): Column[] {
  return [
    { name: "point", type: "INT32" },
    ...sweep.axes.map((a) => ({ name: axisColumnName(a.name), type: axisColumnType(a.values) })),
    ...OUTPUT_COLUMNS[sweep.kind],
  ];
}
