// `ultrasim catalog` for people: each entry's key figures, with estimates marked and sources listed.
import Table from "./fittedTable.js";
import type { Calibration } from "../engine/calibrate/calibration.js";
import type { FrameworkSpec } from "../engine/calibrate/framework.js";
import type { ServingEngine } from "../engine/serve/engines.js";
import type { ChipSpec, ModelSpec, NeuronCoreSpec, NeuronStreamEngine, Sourced, SystemSpec } from "../engine/catalog/schema.js";
import { neuronAttentionStretch } from "../engine/analytic/neuronCore.js";
import { paramCounts } from "../engine/workload/transformer.js";
import { formatCount } from "./format.js";

const mark = (s: Sourced | undefined, digits = 0): string =>
  s === undefined ? "-" : `${s.value.toFixed(digits)}${s.estimate ? " (est.)" : s.projected ? " (proj.)" : ""}`;

export function renderChips(chips: ChipSpec[]): string {
  const t = new Table({
    head: ["id", "status", "bf16", "fp8", "fp4", "HBM GB", "HBM TB/s", "scale-up GB/s", "TDP W"],
    style: { head: [], border: [] },
  });
  for (const c of chips) {
    const p = c.peakTflops;
    t.push([
      c.id,
      c.status,
      mark(p.bf16),
      mark(p.fp8 ?? p.mxfp8),
      mark(p.nvfp4 ?? p.mxfp4),
      mark(c.hbmCapacityGB, 1),
      mark(c.hbmBandwidthTBps, 2),
      mark(c.scaleUpGBps),
      mark(c.tdpW),
    ]);
  }
  const cores = chips.flatMap((c) => (c.neuronCore ? [neuronCoreLine(c, c.neuronCore)] : []));
  const coreBlock = cores.length
    ? `\nNeuronCore engines, per physical core (elements/cycle @ GHz; tensor: systolic array, BF16 TFLOP/s):\n${cores.join("\n")}`
    : "";
  return `${t.toString()}${coreBlock}\nDense TFLOP/s. (est.) or * = estimate, (proj.) = projected from an announcement. Sources: ultrasim catalog chips --json`;
}

/** The engine-bound stretch of flash attention over its tensor-engine FLOPs (analytic/neuronCore.ts). */
const stretch = (chip: ChipSpec, pass: "forward" | "backward"): string => `${neuronAttentionStretch(chip, pass, 128).toFixed(2)}x`;

const num = (s: Sourced): string => `${s.value}${s.estimate ? "*" : ""}`;

function streamEngine(name: string, e: NeuronStreamEngine): string {
  const bf16 = e.bf16ElementsPerCycle ? ` (${num(e.bf16ElementsPerCycle)} bf16)` : "";
  return `${name} ${num(e.elementsPerCycle)}${bf16} @ ${num(e.clockGHz)}`;
}

/** One line per Neuron chip; `*` marks an estimate, so the line stays short. */
function neuronCoreLine(chip: ChipSpec, nc: NeuronCoreSpec): string {
  const id = chip.id;
  const { tensor, vector, scalar, gpsimd } = nc.engines;
  return [
    `  ${id}: NeuronCore-${nc.generation} x${num(nc.coresPerChip)}, LNC ${num(nc.defaultLnc)}`,
    `tensor ${num(tensor.systolicRows)}x${num(tensor.systolicColumns)} @ ${num(tensor.clockGHz)} = ${num(tensor.bf16TflopsPerCore)}`,
    streamEngine("vector", vector),
    streamEngine("scalar", scalar),
    streamEngine("gpsimd", gpsimd),
    `SBUF ${num(nc.sbufMiBPerCore)} MiB, PSUM ${num(nc.psumMiBPerCore)} MiB`,
    ...(nc.collectiveCoresPerChip ? [`${num(nc.collectiveCoresPerChip)} CC-cores`] : []),
    ...(nc.dmaEnginesPerChip ? [`${num(nc.dmaEnginesPerChip)} DMA engines per chip`] : []),
    `transposes on ${nc.dmaTranspose?.value ? "DMA" : "tensor engine"}${nc.dmaTranspose?.estimate ? "*" : ""}`,
    `flash attention at head dim 128: ${stretch(chip, "forward")} fwd, ${stretch(chip, "backward")} bwd its matmul time`,
  ].join("; ");
}

/**
 * What `catalog systems` adds after a level's line rate: its NVLS all-reduce and that rate (measured, or
 * an estimate borrowed from a like fabric), and a measured collective bandwidth.
 */
function levelNotes(l: SystemSpec["scaleUp"][number]): string {
  const notes: string[] = [];
  if (l.inNetworkReduction) {
    const rate = l.inNetworkReduction.algorithmBandwidthGBps;
    notes.push(`NVLS all-reduce${!rate ? "" : rate.estimate ? ` at ${mark(rate)}` : ` measured at ${mark(rate)}`}`);
  }
  if (l.measuredBusBandwidthGBps) notes.push(`collectives measured at ${mark(l.measuredBusBandwidthGBps)}`);
  return notes.map((n) => ` (${n})`).join("");
}

export function renderSystems(systems: SystemSpec[]): string {
  const t = new Table({
    head: ["id", "chip", "chips", "scale-up levels (chips @ GB/s per chip, one way)", "scale-out Gb/s per chip"],
    style: { head: [], border: [] },
  });
  for (const s of systems) {
    const levels = s.scaleUp.map((l) => `${l.name}: ${l.chips} @ ${mark(l.bandwidthGBps)}${levelNotes(l)}`).join("; ");
    t.push([s.id, s.chip, String(s.chipsPerSystem), levels, `${mark(s.scaleOut.gbpsPerChip)} ${s.scaleOut.name}`]);
  }
  return t.toString();
}

export function renderModels(models: ModelSpec[]): string {
  const t = new Table({
    head: ["id", "name", "params", "active", "layers", "hidden", "heads/kv", "ffn", "MoE", "source"],
    style: { head: [], border: [] },
  });
  for (const m of models) {
    const p = paramCounts(m);
    t.push([
      m.id ?? "",
      m.name,
      formatCount(p.total),
      formatCount(p.active),
      String(m.layers),
      String(m.hidden),
      `${m.heads}/${m.mla ? "MLA" : m.kvHeads}`,
      `${m.ffnHidden} ${m.ffnKind}`,
      m.moe ? `${m.moe.experts}e top-${m.moe.topK}` : "-",
      m.source ?? "",
    ]);
  }
  return t.toString();
}

/** The frameworks, and (`defaultFor`: framework id -> chip ids) which chips run each when a scenario names none. */
export function renderFrameworks(frameworks: FrameworkSpec[], defaultFor: Record<string, string[]> = {}): string {
  const t = new Table({
    head: [
      "id",
      "runtime",
      "TP overlap",
      "TP bwd async",
      "DP overlap",
      "fp16 grads",
      "PP send overlap",
      "PP scatter/gather",
      "FSDP fp32 shards",
      "ZeRO",
      "selective recompute",
      "attention",
      "elementwise",
      "trains in",
      "allocator",
      "optimizer B/param",
      "loss B/logit",
    ],
    style: { head: [], border: [] },
  });
  const est = (f: { estimate?: boolean }) => (f.estimate ? " (est.)" : "");
  const yes = (f: { value: boolean; estimate?: boolean }) => (f.value ? "yes" : "no") + est(f);
  for (const f of frameworks)
    t.push([
      f.id,
      f.runtime + (f.chips ? `: ${f.chips.value.join(", ")}${est(f.chips)}` : ""),
      yes(f.tpCommOverlap),
      yes(f.tpBackwardOverlap),
      (f.dataParallelOverlap.value === "without-pipeline" ? "without pp" : f.dataParallelOverlap.value ? "yes" : "no") +
        est(f.dataParallelOverlap),
      yes(f.fp16GradientReduce),
      yes(f.pipelineSendOverlap),
      yes(f.pipelineScatterGather),
      yes(f.fsdpShardsFp32Params),
      f.zeroStages.value.join(", ") + est(f.zeroStages),
      f.selectiveRecompute.value + est(f.selectiveRecompute),
      f.attentionKernel.value + est(f.attentionKernel),
      f.elementwiseKernels.value + est(f.elementwiseKernels),
      f.trainingPrecisions.value.join(", ") + est(f.trainingPrecisions),
      `${(f.allocatorOverheadFraction.value * 100).toFixed(0)}%${est(f.allocatorOverheadFraction)}`,
      `${f.optimizerBytesPerParam.value}${est(f.optimizerBytesPerParam)}`,
      `${f.lossBytesPerLogit.value}${est(f.lossBytesPerLogit)}`,
    ]);
  const defaults = Object.entries(defaultFor).map(([id, chips]) => `  ${id}: ${chips.join(", ")}`);
  return [
    t.toString(),
    ...(defaults.length ? ["Where a scenario names no framework (--framework), each chip runs:", ...defaults] : []),
    "Each feature's source, and each 8-bit recipe: ultrasim catalog frameworks --json",
  ].join("\n");
}

export function renderEngines(engines: ServingEngine[]): string {
  const t = new Table({
    head: [
      "id",
      "runtime",
      "scheduler",
      "KV admission",
      "chunked prefill",
      "static shapes",
      "host µs / step",
      "host overlapped",
      "by release",
      "prefix caching",
    ],
    style: { head: [], border: [] },
  });
  for (const e of engines)
    t.push([
      e.id,
      e.runtime,
      e.scheduler,
      e.kvAdmission,
      e.chunkedPrefill ? `yes (${formatCount(e.maxTokensPerIteration ?? 0)} tokens)` : "no",
      e.staticShapes ? `yes (prompts per graph: ${e.staticShapes.prefillBatch ?? "the compiled batch"})` : "no",
      `${e.iterationOverheadUs.value}${e.iterationOverheadUs.provenance.startsWith("prior") ? " (prior)" : ""}`,
      e.hostOverlap.value ? "yes" : "no",
      e.hostOverlap.sinceVersion !== undefined ? `on from ${e.hostOverlap.sinceVersion}` : "-",
      e.prefixCaching.value ? "on" : "off",
    ]);
  return `${t.toString()}
Host µs per step: fitted per engine or a prior (provenance and sources: ultrasim catalog engines --json). "host overlapped" is the engine's mode where its release is not known; "by release", the release from which it is on, which a pool's engineVersion picks. "prefix caching": the engine's default (a pool's prefixCaching, or --prefix-caching, sets it).`;
}

export function renderCalibration(c: Calibration): string {
  const t = new Table({
    head: ["owner", "id", "parameter", "value", "± sd", "prior", "provenance", "cases", "groups"],
    style: { head: [], border: [] },
  });
  for (const v of c.values)
    t.push([
      v.owner,
      v.id,
      v.name,
      `${v.value}${v.atBound ? " (AT BOUND)" : ""}`,
      v.sd === undefined ? "-" : String(v.sd),
      v.prior === undefined ? "-" : String(v.prior),
      v.provenance,
      v.cases === undefined ? "-" : String(v.cases),
      String(v.fittedOn?.length ?? 0),
    ]);
  return `${t.toString()}\n${c.method}.\nUnlisted parameters are priors or device measurements (sources: ultrasim catalog calibration --json; src/engine/calibrate/parameters.ts).`;
}
