// `ultrasim reliability` for people: one row per scale.
import Table from "./fittedTable.js";
import type { ScaleScan } from "../engine/reliability/scaleScan.js";
import { formatPercent } from "./format.js";
import { show } from "./renderOperations.js";

const formatSeconds = (seconds: number) => show({ value: seconds, unit: "s", from: "computed" });

export function renderReliabilityScan(scan: ScaleScan, modelName: string): string {
  const first = scan.points[0]!;
  const lines = [
    `goodput with scale: ${modelName} checkpoints on ${scan.chipId} (${scan.systemId}), ${first.checkpointMode} checkpoints` +
      `${first.hotSpares > 0 ? `, ${first.hotSpares} hot spare chips` : ""}`,
    `checkpoint ${(first.checkpoint.checkpointBytes.value! / 1e12).toFixed(2)} TB; failure-free work per run ${formatSeconds(first.workSeconds.value!)}`,
    "",
  ];
  const t = new Table({
    head: [
      "chips",
      "interruptions/day",
      "MTBF",
      "checkpoint stops",
      "restart",
      "best interval",
      "goodput (closed form)",
      "goodput (Monte Carlo)",
      "time to train",
    ],
    style: { head: [], border: [] },
  });
  for (const p of scan.points) {
    const mc = p.monteCarlo;
    t.push([
      p.chips.toLocaleString("en-US"),
      p.interruptionsPerDay.value!.toPrecision(3),
      formatSeconds(p.mtbfSeconds.value!),
      formatSeconds(p.checkpoint.blockingSeconds.value!),
      formatSeconds(p.checkpoint.restartSeconds.value!),
      formatSeconds(p.intervalSeconds.value!) + (p.intervalIsOneStep ? " ‡" : ""),
      formatPercent(p.closedForm.goodput.value!) + (p.closedForm.valid ? "" : " *"),
      mc ? formatPercent(mc.goodput.value!) + (mc.truncated ? " †" : "") : "n/a",
      timeToTrain(mc ? mc.effectiveSeconds : p.closedForm.effectiveSeconds),
    ]);
  }
  lines.push(t.toString());
  if (scan.points.some((p) => !p.closedForm.valid))
    lines.push("* outside the closed form's assumptions (interval or restart not small against the MTBF): trust the simulation");
  const stepped = scan.points.find((p) => p.intervalIsOneStep);
  if (stepped)
    lines.push(
      `‡ one training step (${formatSeconds(stepped.intervalSeconds.value!)}${scan.stepSeconds?.from === "estimate" ? ", estimated" : ""}): ` +
        "the best interval would be shorter, but checkpoints fall between steps",
    );
  if (scan.points.some((p) => p.monteCarlo?.truncated))
    lines.push("† the simulation stopped at its event cap; goodput is that of the part simulated");
  const estimates = new Set<string>();
  for (const p of scan.points) for (const n of [...(p.closedForm.goodput.estimates ?? [])]) estimates.add(n);
  if (estimates.size) lines.push(`rests on estimates: ${[...estimates].join("; ")}`);
  lines.push(
    `failure rates: ${first.components.map((c) => `${c.id} ${c.perChipYear.value!.toFixed(4)}`).join(", ")} per chip-year, ` +
      `${first.failuresPerChipYear.value!.toFixed(4)} in all (${first.failuresPerChipYear.note ?? ""})`,
  );
  return lines.join("\n");
}

/** The effective time to train, or "never" where no work completes (the Monte Carlo figure is null). */
function timeToTrain(figure: { value: number | null }): string {
  return figure.value === null ? "never" : formatSeconds(figure.value);
}
