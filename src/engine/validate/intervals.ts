// Likely ranges for predictions, from the error the model makes on runs it was not fitted to. Each
// prediction belongs to an evidence class (a training step on a chip whose kernels were fitted, or
// borrowed from other silicon; dense or MoE; an inference metric), and each class carries the 10th
// and 90th percentiles of log(measured / predicted) over the held-out (leave-one-group-out)
// predictions of the open cases in that class (data/intervals.json, written by
// scripts/fit-intervals.ts). A prediction's 80% range is then [value x e^p10, value x e^p90]: what
// the measured value was, four times in five, for predictions resting on the same evidence.
import { Type, type Static } from "@sinclair/typebox";
import intervalData from "../../../data/intervals.json" with { type: "json" };
import type { EfficiencyBasis } from "../calibrate/calibration.js";
import { percentile } from "./validation.js";

export const IntervalClass = Type.Object(
  {
    key: Type.String(),
    /** Held-out predictions in the class. */
    count: Type.Integer({ minimum: 0 }),
    /** 10th and 90th percentiles of log(measured / predicted). */
    logLow: Type.Number(),
    logHigh: Type.Number(),
    /** Median of log(measured / predicted): the class's bias. */
    logMedian: Type.Number(),
    medianAbsErrorPct: Type.Number({ minimum: 0 }),
    description: Type.String(),
  },
  { additionalProperties: false },
);
export type IntervalClass = Static<typeof IntervalClass>;

export const IntervalTable = Type.Object(
  {
    level: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
    source: Type.String(),
    classes: Type.Array(IntervalClass),
  },
  { additionalProperties: false },
);
export type IntervalTable = Static<typeof IntervalTable>;

export const BUILTIN_INTERVALS = intervalData as IntervalTable;

/** A likely range for a figure: the measured value falls inside `level` of the time, by the held-out record. */
export interface Interval {
  low: number;
  high: number;
  level: number;
  /** What the range rests on, in words. */
  basis: string;
}

/** Fewer held-out predictions than this in a class: use the pooled class of its kind instead. */
export const MIN_CLASS_COUNT = 8;

/** Evidence of a training prediction: the kernels' basis, and whether the model has experts. */
export function trainingEvidenceKey(basis: EfficiencyBasis | null, moe: boolean): string {
  const kernels = basis?.kernels === "fitted" ? "calibrated" : "borrowed";
  return `training/${kernels}/${moe ? "moe" : "dense"}`;
}

/**
 * A serving figure's evidence: its metric, whether the model routes experts (MoE serving has a record
 * of its own: DeepSeek-R1 on GPUs misses in ways a dense Llama does not), and the runtime serving it
 * (CUDA engines on GPUs, Neuron's). A thin class falls back to the same kind of model on every
 * runtime, then to the metric's pooled class.
 */
export const inferenceEvidenceKey = (metric: string, runtime: "cuda" | "neuron" | null, moe: boolean | null = null): string =>
  moe === null ? `inference/${metric}/all` : `inference/${metric}/${moe ? "moe" : "dense"}/${runtime ?? "all"}`;

const RUNTIME_WORDS: Record<string, string> = {
  cuda: "served by a CUDA engine on GPUs",
  neuron: "served by a Neuron engine on Trainium or Inferentia",
  all: "on every runtime",
};

const MODEL_WORDS: Record<string, string> = { moe: "mixture-of-experts models", dense: "dense models" };

/** "inference/ttftSeconds/dense/neuron" in words. */
export const describeInferenceKey = (key: string): string => {
  const [, metric, kind, runtime] = key.split("/");
  if (metric === "all") return "every held-out inference metric";
  if (kind === undefined || kind === "all") return `inference ${metric}, every runtime`;
  return `inference ${metric}, ${MODEL_WORDS[kind]} ${RUNTIME_WORDS[runtime ?? "all"]}`;
};

const DESCRIBE: Record<string, string> = {
  calibrated: "kernels fitted on this chip's silicon",
  borrowed: "kernels borrowed from other silicon (or priors)",
};

/**
 * The class for a key ("training/borrowed/moe"), else the first coarser one with enough cases
 * ("training/borrowed/all", then "training/all").
 */
export function intervalClass(key: string, table: IntervalTable = BUILTIN_INTERVALS): IntervalClass | null {
  const parts = key.split("/");
  const candidates = [key];
  for (let n = parts.length - 1; n >= 1; n--) candidates.push([...parts.slice(0, n), "all"].join("/"));
  for (const k of candidates) {
    const c = table.classes.find((x) => x.key === k);
    if (c && c.count >= MIN_CLASS_COUNT) return c;
  }
  return null;
}

/**
 * The range of a ratio of two predictions of the same class: their shared bias cancels, their spread
 * does not; taken as one prediction's spread about its median (the two errors share a cause).
 */
export function ratioInterval(ratio: number, key: string, table: IntervalTable = BUILTIN_INTERVALS): Interval | null {
  const c = intervalClass(key, table);
  if (!c) return null;
  return {
    low: scaled(ratio, c.logLow - c.logMedian),
    high: scaled(ratio, c.logHigh - c.logMedian),
    level: table.level,
    basis: `${c.description}: the spread of ${c.count} held-out predictions about their median`,
  };
}

/**
 * `x · e^log`, to 12 significant digits: a range is not known to more, and Math.exp may differ in the
 * last bit between JavaScript engines (Node and the browser), which would make the same scenario's
 * range differ in its 16th digit between the CLI and the web app.
 */
function scaled(x: number, log: number): number {
  return Number((x * Math.exp(log)).toPrecision(12));
}

/** The likely range of `value` for a prediction of the given class; null where the table has none. */
export function intervalOf(value: number, key: string, table: IntervalTable = BUILTIN_INTERVALS): Interval | null {
  const c = intervalClass(key, table);
  if (!c || !Number.isFinite(value)) return null;
  return {
    low: scaled(value, c.logLow),
    high: scaled(value, c.logHigh),
    level: table.level,
    basis: `${c.description}: the range ${Math.round(table.level * 100)}% of ${c.count} held-out predictions on this evidence fell in${biasNote(c, table.level)}`,
  };
}

/** Where the whole range lies on one side of the figure, the held-out record says the model is biased there: say so. */
function biasNote(c: IntervalClass, level: number): string {
  const share = Math.round(100 * (1 - (1 - level) / 2));
  const pct = Math.round(100 * Math.abs(Math.exp(c.logMedian) - 1));
  if (c.logLow > 0) return ` (held out, the measured value was above the prediction ${share}% of the time, by ${pct}% at the median)`;
  if (c.logHigh < 0) return ` (held out, the measured value was below the prediction ${share}% of the time, by ${pct}% at the median)`;
  return "";
}

/** The range of a figure that is a monotone function of another (MFU = k / step time): map both ends. */
export function mapInterval(interval: Interval | null, f: (x: number) => number): Interval | null {
  if (!interval) return null;
  const a = f(interval.low);
  const b = f(interval.high);
  return { ...interval, low: Math.min(a, b), high: Math.max(a, b) };
}

/** One class from held-out (measured, predicted) pairs. */
export function fitIntervalClass(
  key: string,
  description: string,
  pairs: { measured: number; predicted: number }[],
  level: number,
): IntervalClass {
  const logs = pairs.filter((p) => p.predicted > 0 && p.measured > 0).map((p) => Math.log(p.measured / p.predicted));
  logs.sort((a, b) => a - b);
  const abs = pairs
    .filter((p) => p.predicted > 0 && p.measured > 0)
    .map((p) => Math.abs(100 * (p.predicted - p.measured)) / p.measured)
    .sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return {
    key,
    count: logs.length,
    logLow: logs.length ? Number(percentile(logs, tail).toFixed(4)) : 0,
    logHigh: logs.length ? Number(percentile(logs, 1 - tail).toFixed(4)) : 0,
    logMedian: logs.length ? Number(percentile(logs, 0.5).toFixed(4)) : 0,
    medianAbsErrorPct: abs.length ? Number(percentile(abs, 0.5).toFixed(1)) : 0,
    description,
  };
}

export const describeTrainingKey = (key: string): string => {
  const [, kernels, kind] = key.split("/");
  if (kernels === "all") return "every held-out training prediction";
  return kind === "all" ? `${DESCRIBE[kernels!]}` : `${DESCRIBE[kernels!]}, ${kind} models`;
};

/** Fraction of (measured, predicted, key) triples whose measured value lies in the key's range. */
export function intervalCoverage(
  results: { measured: number; predicted: number | null; key: string }[],
  table: IntervalTable = BUILTIN_INTERVALS,
): { count: number; covered: number; fraction: number; level: number } {
  let count = 0;
  let covered = 0;
  for (const r of results) {
    if (r.predicted === null || !(r.predicted > 0)) continue;
    const range = intervalOf(r.predicted, r.key, table);
    if (!range) continue;
    count++;
    if (r.measured >= range.low && r.measured <= range.high) covered++;
  }
  return { count, covered, fraction: count ? covered / count : 0, level: table.level };
}
