// `ultrasim scale` for people: one row per chip count, the planner's best layout and what it delivers.
import Table from "./fittedTable.js";
import type { ScaleCurve } from "../engine/scale/scaleCurve.js";
import { formatCount, formatPercent, formatSeconds } from "./format.js";

export function renderScale(curve: ScaleCurve): string {
  const table = new Table({
    head: [
      "chips",
      "systems",
      "batch (seq)",
      "best layout",
      "step",
      "tokens/s",
      "tokens/s/chip",
      "MFU",
      "scaling eff.",
      "time to train",
      "dominant cost",
    ],
    style: { head: [], border: [] },
  });
  for (const p of curve.points) {
    if (p.plan === null) {
      table.push([String(p.chips), String(p.systems), String(p.globalBatch), { colSpan: 8, content: p.infeasible ?? "no plan" }]);
      continue;
    }
    table.push([
      String(p.chips),
      String(p.systems),
      String(p.globalBatch),
      p.layout!,
      formatSeconds(p.stepSeconds!),
      formatCount(p.tokensPerSecond!),
      formatCount(p.tokensPerSecondPerChip!),
      formatPercent(p.mfu!),
      formatPercent(p.scalingEfficiency!),
      formatSeconds(p.timeToTrainSeconds!),
      p.dominantCost!,
    ]);
  }
  const head = `${curve.model} on ${curve.system}: the best plan at each chip count; time to train ${formatCount(curve.tokens)} tokens`;
  return [head, table.toString(), ...curve.notes.map((n) => `note: ${n}`)].join("\n");
}
