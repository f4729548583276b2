// `ultrasim plan` for people: the top plans, what each pays most for, why the runner-up lost, and
// how many layouts were searched and why the rest were infeasible.
import Table from "./fittedTable.js";
import type { PlanResult } from "../engine/plan/search.js";
import { formatBytes, formatCount, formatExpertImbalance, formatPercent, formatSeconds } from "./format.js";
import { plural } from "../engine/report/plural.js";

export function renderPlan(
  request: {
    model: string;
    system: string;
    chips: number[];
    run: { seqLen: number; globalBatch: number; precision: string; expertLoadImbalance?: number };
  },
  r: PlanResult,
): string {
  const lines: string[] = [];
  lines.push(
    `${request.model} on ${request.system}, ${request.chips.length > 1 ? `${request.chips[0]}..${request.chips[request.chips.length - 1]}` : request.chips[0]} chip${request.chips.length === 1 && request.chips[0] === 1 ? "" : "s"} · seq ${request.run.seqLen} · global batch ${request.run.globalBatch} · ${request.run.precision}${formatExpertImbalance(request.run.expertLoadImbalance)}`,
  );
  // With --batch-tolerance a plan may run a smaller batch than asked: then each plan shows its own.
  const shrunk = r.plans.some((p) => p.run.globalBatch !== request.run.globalBatch);
  const table = new Table({
    head: [
      "#",
      "chips",
      "tp",
      "pp×vpp",
      "dp",
      "cp",
      "ep",
      "mb",
      ...(shrunk ? ["batch"] : []),
      "ZeRO",
      "recompute",
      "sp",
      "placement",
      "step",
      "MFU",
      "tokens/s",
      "memory/chip",
      "$/1M tokens",
      "kWh/1M tokens",
      "dominant cost",
    ],
    style: { head: [], border: [] },
    // On a narrow terminal: placement, sp, energy and price go before the layout and the step.
    dropOrder: [11, 10, 17, 16, 1],
  });
  r.plans.forEach((p, i) => {
    const l = p.parallelism;
    const q = p.prediction;
    table.push([
      String(i + 1),
      String(p.chips),
      String(l.tp),
      `${l.pp}×${l.vpp ?? 1}`,
      String(l.dp),
      String(l.cp),
      String(l.ep),
      String(p.run.microBatch),
      ...(shrunk ? [String(p.run.globalBatch)] : []),
      String(l.zero),
      l.recompute === "full" && l.recomputeLayers ? `full, ${l.recomputeLayers} layers/stage` : String(l.recompute),
      l.sequenceParallel ? "yes" : "no",
      l.placement ?? "tp-cp-dp-pp",
      formatSeconds(q.stepSeconds),
      formatPercent(q.mfu),
      formatCount(q.tokensPerSecond),
      `${formatBytes(q.memory.total)} / ${formatBytes(q.memory.capacity)}`,
      p.operations?.usdPerMillionTokens == null ? "no price" : `$${p.operations.usdPerMillionTokens.toFixed(2)}`,
      p.operations?.joulesPerMillionTokens == null ? "-" : (p.operations.joulesPerMillionTokens / 3.6e6).toFixed(2),
      p.dominantCost,
    ]);
  });
  lines.push(table.toString());
  const best = r.plans[0];
  if (best?.timeToTrainSeconds != null)
    lines.push(`time to train the token budget with the best plan: ${formatSeconds(best.timeToTrainSeconds)}`);
  if (r.runnerUpNote) lines.push(r.runnerUpNote);
  for (const note of r.notes) lines.push(`note: ${note}`);
  if (r.plans.length === 0) lines.push("No layout fits: every candidate was infeasible (see the reasons below).");
  const reasons = Object.entries(r.infeasible)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  lines.push(`searched ${plural(r.evaluated, "layout")}: ${r.feasible} feasible${reasons ? `; infeasible: ${reasons}` : ""}`);
  return lines.join("\n");
}
