// Energy, cost and reliability for people: each figure with where it comes from.
import Table from "./fittedTable.js";
import type { Figure } from "../engine/report/figure.js";
import type { TrainingReport } from "../engine/report/trainingReport.js";
import { formatPercent, formatSeconds } from "./format.js";

/** Where a figure comes from, in a few words. */
export function origin(f: Figure): string {
  if (f.from === "computed")
    return f.estimates?.length
      ? `computed, rests on ${f.estimates.length} estimate${f.estimates.length > 1 ? "s" : ""} (listed below)`
      : "computed";
  if (f.from === "input") return `your input (${f.note ?? "flag"})`;
  return `${f.from === "estimate" ? "ESTIMATE" : "sourced"}: ${f.source ?? ""}`;
}

function num(value: number, digits = 3): string {
  if (value === 0) return "0";
  const a = Math.abs(value);
  if (a >= 1e6 || a < 1e-3) return value.toExponential(2);
  return Number(value.toPrecision(digits)).toLocaleString("en-US");
}

export function show(f: Figure, digits = 3): string {
  if (f.value === null) return "n/a";
  if (f.unit === "s") return f.value >= 60 && f.value < 86400 ? `${num(f.value / 60)} min` : formatSeconds(f.value);
  if (f.unit === "") return num(f.value, digits);
  return `${num(f.value, digits)} ${f.unit}`;
}

const row = (label: string, f: Figure, text = show(f)) => [label, text, origin(f)];

export function renderOperations(r: TrainingReport): string {
  const lines: string[] = [];
  const e = r.energy;
  const c = r.cost;
  if (!e || !c) return "";
  const t = new Table({
    head: ["energy and cost", "value", "from"],
    style: { head: [], border: [] },
    colWidths: [34, 22, 80],
    wordWrap: true,
  });
  const pc = e.power.perChip;
  t.push(
    row("accelerator power (each)", pc.accelerator),
    row("host share per chip", pc.host),
    row("scale-up network per chip", pc.scaleUpNetwork),
    row("scale-out network per chip", pc.scaleOutNetwork),
    row("fans and cooling per chip", pc.fans),
    row("IT power per chip", pc.it),
    row("PUE", e.power.pue),
    row("facility power (cluster)", e.power.facilityWatts, `${num(e.power.facilityWatts.value! / 1e6)} MW`),
    row("energy per step", e.perStep.joules, `${num(e.perStep.joules.value!)} J · ${num(e.perStep.kwh.value!)} kWh`),
    row("energy per token", e.perToken.joules),
    row(
      "energy per 1M tokens",
      e.perMillionTokens.joules,
      `${num(e.perMillionTokens.joules.value!)} J · ${num(e.perMillionTokens.kwh.value!)} kWh`,
    ),
    row(
      "carbon per 1M tokens",
      e.carbonPerMillionTokensKg,
      e.carbonPerMillionTokensKg.value === null ? "n/a (set --grid-gco2-per-kwh)" : show(e.carbonPerMillionTokensKg),
    ),
    row(
      "price per chip-hour",
      c.usdPerChipHour,
      c.usdPerChipHour.value === null ? "no public price" : `$${num(c.usdPerChipHour.value, 4)}`,
    ),
    row("cost per step", c.perStepUsd, c.perStepUsd.value === null ? "n/a" : `$${num(c.perStepUsd.value)}`),
    row(
      "cost per 1M training tokens",
      c.perMillionTokensUsd,
      c.perMillionTokensUsd.value === null ? "n/a" : `$${num(c.perMillionTokensUsd.value)}`,
    ),
  );
  if (c.usdPerChipHour.value === null) lines.push(`price: ${c.usdPerChipHour.note}`);
  else if (c.usdPerChipHour.note) lines.push(`price: ${c.usdPerChipHour.note}`);
  const run = r.runLength;
  if (e.perRun && run?.wallSeconds) {
    t.push(
      row("run: wall-clock time", run.wallSeconds),
      row("run: energy", e.perRun.kwh, `${num(e.perRun.kwh.value! / 1e3)} MWh`),
      row("run: carbon", e.perRun.carbonTonnes, e.perRun.carbonTonnes.value === null ? "n/a" : show(e.perRun.carbonTonnes)),
    );
    if (c.perRunUsd) t.push(row("run: cost", c.perRunUsd, c.perRunUsd.value === null ? "n/a" : `$${num(c.perRunUsd.value)}`));
  }
  lines.unshift(t.toString());
  if (r.reliability) lines.push("", renderReliabilityDetail(r.reliability));
  const estimates = new Set<string>();
  const walk = (v: unknown) => {
    if (v && typeof v === "object") {
      const f = v as Partial<Figure> & { name?: string };
      if (f.from === "computed") for (const n of f.estimates ?? []) estimates.add(n);
      if (f.from === "estimate") estimates.add(f.name ?? f.source ?? "estimate");
      Object.values(v).forEach(walk);
    }
  };
  walk([r.energy, r.cost, r.reliability]);
  if (estimates.size) lines.push(`estimates behind these figures (not published; see data/*.json): ${[...estimates].join("; ")}`);
  for (const n of r.operationsNotes) lines.push(`note: ${n}`);
  return lines.join("\n");
}

type Reliability = NonNullable<TrainingReport["reliability"]>;

export function renderReliabilityDetail(rel: Reliability): string {
  const t = new Table({ head: ["reliability", "value", "from"], style: { head: [], border: [] }, colWidths: [34, 22, 80], wordWrap: true });
  t.push(
    row("interruptions per chip-year", rel.failuresPerChipYear),
    row("mean time between interruptions", rel.mtbfSeconds),
    row("interruptions per day", rel.interruptionsPerDay),
    row(
      `checkpoint size (${rel.checkpointMode})`,
      rel.checkpoint.checkpointBytes,
      `${num(rel.checkpoint.checkpointBytes.value! / 1e12)} TB`,
    ),
    row("checkpoint: training stops for", rel.checkpoint.blockingSeconds),
    row("restart (detect, replace, init, reload)", rel.checkpoint.restartSeconds),
    row("Young–Daly interval", rel.youngDalyIntervalSeconds),
    row("checkpoint interval used", rel.intervalSeconds),
    row("goodput, closed form", rel.closedForm.goodput, formatPercent(rel.closedForm.goodput.value!)),
  );
  if (rel.monteCarlo) {
    t.push(
      row(`goodput, Monte Carlo (seed ${rel.monteCarlo.seed})`, rel.monteCarlo.goodput, formatPercent(rel.monteCarlo.goodput.value!)),
      row("failures in the run (simulated)", rel.monteCarlo.failures, String(rel.monteCarlo.failures.value)),
    );
  }
  t.push(row("failure-free time to train", rel.workSeconds), row("effective time to train (closed form)", rel.closedForm.effectiveSeconds));
  if (rel.monteCarlo) t.push(row("effective time to train (Monte Carlo)", rel.monteCarlo.effectiveSeconds));
  const lines = [t.toString()];
  for (const n of rel.notes) lines.push(`note: ${n}`);
  if (rel.monteCarlo) {
    const byComponent = Object.entries(rel.monteCarlo.failuresByComponent).map(([id, n]) => `${id} ${n.value}`);
    lines.push(`simulated failures by component: ${byComponent.join(", ")}`);
  }
  return lines.join("\n");
}
