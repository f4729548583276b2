// `ultrasim validate` for people: predicted against measured per case, then error per group.
import type { InferenceCrossValidation } from "../engine/calibrate/fitServingEngines.js";
import Table from "./fittedTable.js";
import type { InferenceValidationReport } from "../engine/validate/inference.js";
import type { CrossValidation } from "../engine/calibrate/fitTraining.js";
import type { ErrorSummary, ValidationReport } from "../engine/validate/validation.js";
import { formatSeconds, formatSignedPercent } from "./format.js";

const pct = (x: number | null) => (x === null ? "-" : `${x.toFixed(1)}%`);

function summaryRow(name: string, s: ErrorSummary): string[] {
  return [
    name,
    String(s.count),
    String(s.failed),
    pct(s.medianAbsErrorPct),
    pct(s.p90AbsErrorPct),
    s.meanSignedErrorPct === null ? "-" : formatSignedPercent(s.meanSignedErrorPct),
  ];
}

function groupTable(groups: Record<string, ErrorSummary>, summary: ErrorSummary): string {
  const table = new Table({
    head: ["group", "cases", "failed", "median |error|", "p90 |error|", "mean error"],
    style: { head: [], border: [] },
  });
  for (const [name, s] of Object.entries(groups)) table.push(summaryRow(name, s));
  table.push(summaryRow("all", summary));
  return table.toString();
}

/** Held-out errors: each group predicted by a fit on the other groups. */
export function renderCrossValidation(r: CrossValidation): string {
  return `step-time error held out (leave one group out: each group predicted by a fit on the others)\n${groupTable(r.groups, r.summary)}`;
}

export function renderValidation(r: ValidationReport, label?: string): string {
  const cases = new Table({ head: ["case", "system", "chips", "measured", "predicted", "error", ""], style: { head: [], border: [] } });
  for (const c of r.cases) {
    cases.push([
      c.id,
      c.systemId,
      String(c.chips),
      // A case that failed its schema check may have no usable measurement.
      Number.isFinite(c.measured.stepSeconds) && c.measured.stepSeconds > 0 ? formatSeconds(c.measured.stepSeconds) : "-",
      c.predicted ? formatSeconds(c.predicted.stepSeconds) : "FAILED",
      c.errorPct === null ? (c.failure ?? "") : formatSignedPercent(c.errorPct),
      c.fits === false ? "predicted not to fit in memory" : "",
    ]);
  }
  const text = `${cases.toString()}\n\nstep-time error per group${label ? `, ${label}` : ""}\n${groupTable(r.groups, r.summary)}`;
  return r.memory ? `${text}\n\n${renderMemoryValidation(r)}` : text;
}

/** Peak memory per chip against what the cases publish, where they do. */
function renderMemoryValidation(r: ValidationReport): string {
  const rows = new Table({ head: ["case", "measured", "predicted", "error"], style: { head: [], border: [] } });
  for (const c of r.cases)
    if (c.memory)
      rows.push([
        c.id,
        `${c.memory.measuredGiB.toFixed(1)} GiB`,
        `${c.memory.predictedGiB.toFixed(1)} GiB`,
        formatSignedPercent(c.memory.errorPct),
      ]);
  const s = r.memory!;
  const mean = s.meanSignedErrorPct === null ? "-" : formatSignedPercent(s.meanSignedErrorPct);
  return `peak memory per chip, where the case publishes it\n${rows.toString()}\nmemory: ${s.count} cases, median |error| ${pct(s.medianAbsErrorPct)}, p90 ${pct(s.p90AbsErrorPct)}, mean ${mean}`;
}

const metricValue = (metric: string, x: number) =>
  metric === "outputTokensPerSecond" ? `${x.toFixed(x < 100 ? 1 : 0)} tok/s` : formatSeconds(x);

/** Inference cases: predicted against measured per metric, then error per metric and per group. */
export function renderInferenceValidation(r: InferenceValidationReport): string {
  const cases = new Table({
    head: ["inference case", "system", "chips", "metric", "measured", "predicted", "error"],
    style: { head: [], border: [] },
  });
  for (const c of r.results)
    cases.push([
      c.id,
      c.systemId,
      String(c.chips),
      `${c.metric} (${c.statistic})`,
      metricValue(c.metric, c.measured),
      c.predicted === null ? "FAILED" : metricValue(c.metric, c.predicted),
      c.errorPct === null ? (c.failure ?? "") : formatSignedPercent(c.errorPct),
    ]);
  const summary = new Table({
    head: ["metric / group", "results", "failed", "median |error|", "p90 |error|", "mean error"],
    style: { head: [], border: [] },
  });
  for (const [name, s] of Object.entries(r.metrics)) summary.push(summaryRow(name, s));
  for (const [name, s] of Object.entries(r.groups)) summary.push(summaryRow(name, s));
  summary.push(summaryRow("all", r.summary));
  return `${cases.toString()}\n\ninference error per metric and per group\n${summary.toString()}`;
}

/** The held-out inference errors: per metric, then per group, then all. */
export function renderInferenceCrossValidation(r: InferenceCrossValidation): string {
  const summary = new Table({
    head: ["metric / group held out", "results", "failed", "median |error|", "p90 |error|", "mean error"],
    style: { head: [], border: [] },
  });
  for (const [name, s] of Object.entries(r.metrics)) summary.push(summaryRow(name, s));
  for (const [name, s] of Object.entries(r.groups)) summary.push(summaryRow(name, s));
  summary.push(summaryRow("all", r.summary));
  return (
    `inference error held out (each group predicted by engine overheads fitted without it)\n${summary.toString()}\n` +
    "The chips' serving efficiencies stay as fitted on every group; " +
    "node dist/scripts/fit-serving-efficiency.js --cross-validate refits them without each group too (about 45 minutes)."
  );
}
