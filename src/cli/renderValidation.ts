// `ultrasim validate` for people: predicted against measured per case, then error per group.
import Table from "cli-table3";
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

export function renderValidation(r: ValidationReport): string {
  const cases = new Table({ head: ["case", "system", "chips", "measured", "predicted", "error", ""], style: { head: [], border: [] } });
  for (const c of r.cases) {
    cases.push([
      c.id,
      c.systemId,
      String(c.chips),
      formatSeconds(c.measured.stepSeconds),
      c.predicted ? formatSeconds(c.predicted.stepSeconds) : "FAILED",
      c.errorPct === null ? (c.failure ?? "") : formatSignedPercent(c.errorPct),
      c.fits === false ? "predicted not to fit in memory" : "",
    ]);
  }
  const groups = new Table({
    head: ["group", "cases", "failed", "median |error|", "p90 |error|", "mean error"],
    style: { head: [], border: [] },
  });
  for (const [name, s] of Object.entries(r.groups)) groups.push(summaryRow(name, s));
  groups.push(summaryRow("all", r.summary));
  return `${cases.toString()}\n\nstep-time error per group\n${groups.toString()}`;
}
