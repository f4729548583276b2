// A chip in its system, in SI units, with the efficiencies that apply to it: what every time and
// memory formula reads. Built from catalog entries (which carry units in their field names).
import type { ChipSpec, Precision, SystemSpec, TrainingPrecision } from "../catalog/schema.js";
import { GB, GBIT_TO_BYTES, GBPS_TO_BYTES_PER_SECOND, TB, TFLOPS, US } from "../units.js";
import type { SoftwareFeatures } from "../calibrate/framework.js";
import type { Efficiency } from "./efficiency.js";

/** One level of the network hierarchy; the last is the scale-out network, whose domain is unbounded. */
export interface NetworkLevel {
  name: string;
  /** Chips in one domain of this level; Infinity for the scale-out network. */
  domainChips: number;
  topology: "switch" | "torus" | "ring";
  /** Achievable bandwidth per chip, one direction, bytes/s (line rate times efficiency). */
  bytesPerSecond: number;
  latencySeconds: number;
  /**
   * Where the level's switches reduce (NVLink SHARP), the algorithm bandwidth of its in-network
   * all-reduce, bytes/s (network/algorithms/inNetworkReduction.ts); 0 where they do not.
   */
  inNetworkBytesPerSecond: number;
}

/**
 * One tier of a multi-tier (Clos) scale-out network, innermost first. Traffic that leaves a tier's
 * domain climbs to the next tier: each chip's share of those uplinks is the NIC rate divided by the
 * tier's oversubscription, and a collective step across it pays the tier's latency.
 */
export interface ScaleOutTier {
  name: string;
  /** Chips under one domain of this tier (whole systems); Infinity for the top tier. */
  domainChips: number;
  /** Line rate over the bandwidth per chip left for traffic crossing this tier (1 = non-blocking). */
  oversubscription: number;
  latencySeconds: number;
}

export interface Hardware {
  chip: ChipSpec;
  system: SystemSpec;
  efficiency: Efficiency;
  efficiencyProvenance: string;
  /** What the training framework does (data/frameworks.json): overlaps, pipeline sends, allocator. */
  software: SoftwareFeatures;
  hbmBytes: number;
  hbmBytesPerSecond: number;
  runtimeReservedBytes: number;
  /** Scale-up levels innermost first, then the scale-out network. */
  levels: NetworkLevel[];
  /**
   * The scale-out network as tiers (data/networks.json), where the system has them. `levels` keeps
   * the scale-out network as one level (what serving reads); collectives see it split into these
   * tiers through `collectiveLevels`.
   */
  scaleOutTiers?: ScaleOutTier[];
}

export function buildHardware(
  chip: ChipSpec,
  system: SystemSpec,
  efficiency: Efficiency,
  efficiencyProvenance: string,
  software: SoftwareFeatures,
  scaleOutGbpsPerChip?: number,
  scaleOutTiers?: ScaleOutTier[],
): Hardware {
  const levels: NetworkLevel[] = system.scaleUp.map((level) => {
    // A measured bus bandwidth (data/systems.json) stands in for the line rate times the fitted efficiency.
    const bytesPerSecond =
      (level.measuredBusBandwidthGBps?.value ?? level.bandwidthGBps.value * efficiency.scaleUp) * GBPS_TO_BYTES_PER_SECOND;
    // The in-network all-reduce at its measured algorithm bandwidth, else at the level's bus bandwidth.
    const measuredInNetwork = level.inNetworkReduction?.algorithmBandwidthGBps;
    let inNetworkBytesPerSecond = 0;
    if (level.inNetworkReduction)
      inNetworkBytesPerSecond = measuredInNetwork ? measuredInNetwork.value * GBPS_TO_BYTES_PER_SECOND : bytesPerSecond;
    return {
      name: level.name,
      domainChips: level.chips,
      topology: level.topology,
      bytesPerSecond,
      latencySeconds: level.latencyUs.value * US,
      inNetworkBytesPerSecond,
    };
  });
  levels.push({
    name: system.scaleOut.name,
    domainChips: Infinity,
    topology: "switch",
    bytesPerSecond: (scaleOutGbpsPerChip ?? system.scaleOut.gbpsPerChip.value) * GBIT_TO_BYTES * efficiency.scaleOut,
    latencySeconds: system.scaleOut.latencyUs.value * US,
    inNetworkBytesPerSecond: 0,
  });
  return {
    chip,
    system,
    efficiency,
    efficiencyProvenance,
    software,
    hbmBytes: chip.hbmCapacityGB.value * GB,
    hbmBytesPerSecond: chip.hbmBandwidthTBps.value * TB,
    runtimeReservedBytes: chip.runtimeReservedGB.value * GB,
    levels,
    // Always present (undefined without tiers), so every Hardware has one shape for the JIT.
    scaleOutTiers: scaleOutTiers?.length ? scaleOutTiers : undefined,
  };
}

const expandedLevels = new WeakMap<Hardware, NetworkLevel[]>();

/**
 * The levels collectives run over: the scale-up levels, then the scale-out network split into its
 * tiers (each at the NIC's achievable rate over the tier's oversubscription, with the tier's
 * latency). Tiers no larger than the scale-up domain are dropped; the top tier is unbounded. Without
 * tiers this is `hw.levels` itself.
 */
export function collectiveLevels(hw: Hardware): NetworkLevel[] {
  const tiers = hw.scaleOutTiers;
  if (!tiers?.length) return hw.levels;
  const cached = expandedLevels.get(hw);
  if (cached) return cached;
  const scaleOut = hw.levels[hw.levels.length - 1]!;
  const scaleUpChips = hw.levels.length > 1 ? hw.levels[hw.levels.length - 2]!.domainChips : 1;
  const levels = hw.levels.slice(0, -1);
  tiers.forEach((tier, i) => {
    const top = i === tiers.length - 1;
    if (!top && tier.domainChips <= scaleUpChips) return;
    levels.push({
      name: `${scaleOut.name}: ${tier.name}`,
      domainChips: top ? Infinity : tier.domainChips,
      topology: "switch",
      bytesPerSecond: scaleOut.bytesPerSecond / tier.oversubscription,
      latencySeconds: tier.latencySeconds,
      inNetworkBytesPerSecond: 0,
    });
  });
  expandedLevels.set(hw, levels);
  return levels;
}

/** Operand width class of a precision, which selects the GEMM efficiency. */
export function widthClass(precision: Precision): "b16" | "b8" | "b4" {
  if (precision === "fp8" || precision === "mxfp8") return "b8";
  if (precision === "nvfp4" || precision === "mxfp4") return "b4";
  return "b16";
}

/** The precisions whose rate a chip runs each precision at, in order of preference. */
const PEAK_FALLBACKS: Record<Precision, readonly Precision[]> = {
  fp32: ["fp32", "tf32", "bf16"],
  tf32: ["tf32", "bf16"],
  bf16: ["bf16"],
  fp16: ["fp16", "bf16"],
  fp8: ["fp8", "mxfp8", "bf16"],
  mxfp8: ["mxfp8", "fp8", "bf16"],
  nvfp4: ["nvfp4", "mxfp4", "fp8", "mxfp8", "bf16"],
  mxfp4: ["mxfp4", "nvfp4", "fp8", "mxfp8", "bf16"],
};

/**
 * The precision a chip runs `precision` at: the precision itself where the catalog gives the chip a
 * peak for it (each peak cites its datasheet, so the catalog says which precisions a chip has in
 * hardware), else the nearest wider one it has (fp8 on Trainium1 runs at the bf16 rate, MXFP8 on an
 * H100 as per-tensor-scaled fp8), which is what its compiler and framework do.
 */
export function precisionRunsAt(chip: ChipSpec, precision: Precision): Precision {
  return PEAK_FALLBACKS[precision].find((p) => chip.peakTflops[p] !== undefined) ?? "bf16";
}

/** The assumption a prediction rests on where the chip lacks the precision asked for; null where it has it. */
export function precisionAssumption(chip: ChipSpec, precision: Precision): string | null {
  const runsAt = precisionRunsAt(chip, precision);
  if (runsAt === precision) return null;
  const supported = PRECISION_ORDER.filter((p) => chip.peakTflops[p] !== undefined).join(", ");
  return `${chip.id} has no ${precision} in hardware (its datasheet lists ${supported}): predicted at ${runsAt}, the nearest precision it has`;
}

/**
 * The precision a training run asked for `precision` runs at under its framework: the nearest, in the
 * same order of preference, that the chip has in hardware and the framework trains in
 * (data/frameworks.json trainingPrecisions). A framework with no 8-bit recipe trains an fp8 run in bf16.
 */
export function trainingPrecisionRunsAt(chip: ChipSpec, software: SoftwareFeatures, precision: TrainingPrecision): TrainingPrecision {
  const offered = software.trainingPrecisions as readonly Precision[];
  const runsAt = PEAK_FALLBACKS[precision].find((p) => chip.peakTflops[p] !== undefined && offered.includes(p));
  return (runsAt ?? "bf16") as TrainingPrecision;
}

/**
 * The assumption a training prediction rests on where the run does not run at the precision asked
 * for: the chip's alone (precisionAssumption), or the framework's too; null where it runs as asked.
 */
export function trainingPrecisionAssumption(chip: ChipSpec, software: SoftwareFeatures, precision: TrainingPrecision): string | null {
  const runsAt = trainingPrecisionRunsAt(chip, software, precision);
  if (runsAt === precisionRunsAt(chip, precision)) return precisionAssumption(chip, precision);
  const supported = PRECISION_ORDER.filter((p) => chip.peakTflops[p] !== undefined).join(", ");
  return (
    `${software.framework} trains in ${software.trainingPrecisions.join(", ")} (data/frameworks.json) and ${chip.id} has ` +
    `${supported} in hardware: ${precision} predicted at ${runsAt}, the nearest precision both have`
  );
}

const PRECISION_ORDER: readonly Precision[] = ["fp32", "tf32", "bf16", "fp16", "fp8", "mxfp8", "nvfp4", "mxfp4"];

/** Dense peak FLOP/s at a precision: the chip's rate at the precision it runs it at (precisionRunsAt). */
export function peakFlopsPerSecond(chip: ChipSpec, precision: Precision): number {
  return chip.peakTflops[precisionRunsAt(chip, precision)]!.value * TFLOPS;
}
