// `ultrasim train` for people: the headline figures, the step-time breakdown and memory per chip.
import Table from "./fittedTable.js";
import type { TrainingReport } from "../engine/report/trainingReport.js";
import { formatBytes, formatCount, formatExpertImbalance, formatPercent, formatRange, formatSeconds } from "./format.js";
import { renderOperations } from "./renderOperations.js";

const BREAKDOWN_LABELS: Record<keyof TrainingReport["breakdownSeconds"], string> = {
  compute: "compute",
  tensorParallel: "tensor-parallel comm (exposed)",
  contextParallel: "context-parallel comm (exposed)",
  expertParallel: "expert-parallel comm (exposed)",
  pipelineParallel: "pipeline sends",
  pipelineBubble: "pipeline bubble",
  dataParallel: "data-parallel comm (exposed)",
  optimizer: "optimizer step",
};

function bar(fraction: number, width = 24): string {
  const n = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return "█".repeat(n) + "·".repeat(width - n);
}

export function renderTraining(r: TrainingReport): string {
  const l = r.layout;
  const lines: string[] = [];
  lines.push(`${r.model.name} on ${r.system.chips} × ${r.system.chip} (${r.system.id})`);
  lines.push(
    `layout: tp ${l.tp} · pp ${l.pp}${l.vpp > 1 ? ` (vpp ${l.vpp})` : ""} · dp ${l.dp} · cp ${l.cp}${l.ep > 1 ? ` · ep ${l.ep}` : ""}` +
      ` · micro-batch ${l.microBatch} × ${l.microBatches} · ZeRO-${l.zero} · recompute ${l.recompute}${l.recompute === "full" && l.recomputeFraction < 1 ? ` (${Math.round(l.recomputeFraction * 100)}% of layers)` : ""}${l.sequenceParallel ? " · sequence parallel" : ""}${l.placement !== "tp-cp-dp-pp" ? ` · rank order ${l.placement}` : ""}`,
  );
  lines.push(
    `run: seq ${r.run.seqLen} · global batch ${r.run.globalBatch} · ${r.run.precision}` +
      // Where the chip or the framework lacks the precision asked for, the one it runs (the assumptions say why).
      (r.peakPrecision !== r.run.precision ? ` (runs at ${r.peakPrecision})` : "") +
      formatExpertImbalance(r.run.expertLoadImbalance),
  );
  lines.push("");
  const head = new Table({ style: { head: [], border: [] } });
  const likely = r.likely;
  head.push(
    ["step time", formatSeconds(r.stepSeconds) + (likely.stepSeconds ? `, likely ${formatRange(likely.stepSeconds, formatSeconds)}` : "")],
    [
      "tokens/s",
      `${formatCount(r.tokensPerSecond)} total · ${formatCount(r.tokensPerSecondPerChip)} per chip` +
        (likely.tokensPerSecond ? ` (likely ${formatRange(likely.tokensPerSecond, formatCount)})` : ""),
    ],
    [
      "MFU / HFU",
      `${formatPercent(r.mfu)} / ${formatPercent(r.hfu)} of ${formatCount(r.peakFlopsPerChip / 1e12)} TFLOP/s ${r.peakPrecision} peak` +
        (likely.mfu ? ` (MFU likely ${formatRange(likely.mfu, formatPercent)})` : ""),
    ],
  );
  lines.push(head.toString());
  if (likely.stepSeconds) lines.push(`likely: an ${Math.round(likely.stepSeconds.level * 100)}% range, ${likely.stepSeconds.basis}`);
  lines.push("");
  const breakdown = new Table({ head: ["step time", "seconds", "share", ""], style: { head: [], border: [] } });
  for (const [key, label] of Object.entries(BREAKDOWN_LABELS) as [keyof typeof BREAKDOWN_LABELS, string][]) {
    const seconds = r.breakdownSeconds[key];
    const share = seconds / r.stepSeconds;
    breakdown.push([label, formatSeconds(seconds), formatPercent(share), bar(share)]);
  }
  lines.push(breakdown.toString());
  lines.push("");
  const m = r.memoryBytes;
  const memory = new Table({ head: [`memory per chip (stage ${m.stage})`, "bytes", "of capacity"], style: { head: [], border: [] } });
  const rows: [string, number][] = [
    ["weights", m.weights],
    ["gradients", m.gradients],
    ["optimizer states", m.optimizerStates],
    ["activations", m.activations],
    ["communication buffers", m.communicationBuffers],
    ["allocator overhead", m.allocatorOverhead],
    ["runtime reserved", m.runtimeReserved],
  ];
  for (const [label, bytes] of rows) memory.push([label, formatBytes(bytes), formatPercent(bytes / m.capacity)]);
  memory.push(["total", formatBytes(m.total), formatPercent(m.total / m.capacity)]);
  lines.push(memory.toString());
  lines.push(
    m.fits
      ? `fits: ${formatBytes(m.freeBytes)} free of ${formatBytes(m.capacity)}`
      : `DOES NOT FIT: needs ${formatBytes(m.total)}, ${formatBytes(-m.freeBytes)} more than the ${formatBytes(m.capacity)} a chip has`,
  );
  lines.push(`efficiency: ${r.efficiency}`);
  for (const a of r.assumptions) lines.push(`assumed: ${a}`);
  const operations = renderOperations(r);
  if (operations) lines.push("", operations);
  return lines.join("\n");
}
