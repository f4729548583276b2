// `ultrasim compare` for people: one row per system, ratios against the baseline.
import Table from "./fittedTable.js";
import type { Comparison } from "../engine/compare/compareSystems.js";
import { formatCount, formatPercent, formatRange, formatSeconds } from "./format.js";

const x = (r: number | null) => (r === null ? "—" : `${r.toFixed(2)}×`);

export function renderCompare(c: Comparison): string {
  const table = new Table({
    head: [
      "system",
      "chips",
      "best layout, software",
      "step",
      "tokens/s",
      "MFU",
      "time to train",
      "$/1M tok",
      "kWh/1M tok",
      "MW",
      "tok/s vs base",
      "$/tok vs base",
      "J/tok vs base",
    ],
    style: { head: [], border: [] },
  });
  for (const r of c.rows) {
    if (r.layout === null) {
      table.push([r.system, String(r.chips), { colSpan: 11, content: r.infeasible ?? "no plan" }]);
      continue;
    }
    table.push([
      r.system === c.baseline ? `${r.system} (baseline)` : r.system,
      String(r.chips),
      `${r.layout}\n${r.framework}, ${r.precision}`,
      formatSeconds(r.stepSeconds!),
      formatCount(r.tokensPerSecond!),
      formatPercent(r.mfu!),
      formatSeconds(r.timeToTrainSeconds!) +
        (r.likely.timeToTrainSeconds ? `\n(likely ${formatRange(r.likely.timeToTrainSeconds, formatSeconds)})` : ""),
      r.usdPerMillionTokens === null ? "no public price" : `$${r.usdPerMillionTokens.toFixed(2)}`,
      r.kwhPerMillionTokens!.toFixed(2),
      (r.facilityWatts! / 1e6).toFixed(2),
      x(r.vsBaseline.throughput),
      x(r.vsBaseline.usdPerToken),
      x(r.vsBaseline.energyPerToken),
    ]);
  }
  const head = `${c.model}: seq ${c.run.seqLen} · global batch ${c.run.globalBatch} · ${c.run.precision} · time to train ${formatCount(c.run.tokens)} tokens`;
  const basis = c.rows.find((r) => r.likely.timeToTrainSeconds)?.likely.timeToTrainSeconds;
  return [
    head,
    table.toString(),
    ...(basis
      ? [
          `likely: ${Math.round(basis.level * 100)}% ranges from the held-out error of predictions on the same evidence (kernels fitted on the chip's silicon, or borrowed)`,
        ]
      : []),
    ...c.notes.map((n) => `note: ${n}`),
  ].join("\n");
}
