// The catalog: chips, systems, models and fitted efficiencies, looked up by id. The built-in entries
// come from data/*.json; users add their own (same schemas) with `withEntries`.
import { Value } from "@sinclair/typebox/value";
import type { TSchema } from "@sinclair/typebox";
import { UltrasimError } from "../errors.js";
import {
  assembleEfficiency,
  indexCalibration,
  type Calibration,
  type CalibrationIndex,
  type EfficiencyBasis,
  type Owners,
} from "../calibrate/calibration.js";
import {
  checkFrameworkLinks,
  FP32_LOGITS_BYTES,
  FUSED_ADAM_BYTES_PER_PARAM,
  resolveFramework,
  softwareFeatures,
  type FrameworkCatalog,
  type FrameworkSpec,
} from "../calibrate/framework.js";
import { EfficiencyEntry, type Efficiency } from "../system/efficiency.js";
import { buildHardware, type Hardware } from "../system/hardware.js";
import { scaleOutTiers, type ScaleOutNetwork } from "../system/scaleOutNetwork.js";
import { ChipSpec, ModelSpec, SystemSpec, TRAINING_PRECISIONS } from "./schema.js";

export interface CatalogEntries {
  chips: ChipSpec[];
  systems: SystemSpec[];
  models: ModelSpec[];
  efficiencies: EfficiencyEntry[];
  /** Multi-tier scale-out networks (data/networks.json), by the systems they serve. */
  networks?: ScaleOutNetwork[];
  /** Training frameworks (data/frameworks.json) and the default per chip vendor. */
  frameworks?: FrameworkCatalog;
  /** Fitted parameters by silicon, framework and collective library (data/calibration.json). */
  calibration?: Calibration;
}

const NO_FRAMEWORKS: FrameworkCatalog = {
  defaults: { byVendor: {} },
  frameworks: [
    {
      id: "generic",
      name: "generic framework",
      runtime: "cuda",
      tpCommOverlap: { value: false, source: "none given" },
      tpBackwardOverlap: { value: false, source: "none given" },
      dataParallelOverlap: { value: true, source: "none given" },
      fp16GradientReduce: { value: false, source: "none given" },
      pipelineSendOverlap: { value: false, source: "none given" },
      pipelineScatterGather: { value: false, source: "none given" },
      fp8Recipe: { value: "none", source: "none given" },
      trainingPrecisions: { value: [...TRAINING_PRECISIONS], source: "none given: every precision a run may ask for" },
      allocatorOverheadFraction: { value: 0, source: "none given" },
      optimizerBytesPerParam: { value: FUSED_ADAM_BYTES_PER_PARAM, source: "none given: a fused Adam step over fp32 master weights" },
      fsdpShardsFp32Params: { value: false, source: "none given" },
      fsdpUnshardedUnderPipeline: { value: false, source: "none given" },
      zeroStages: { value: [0, 1, 2, 3], source: "none given" },
      selectiveRecompute: { value: "core-attention", source: "none given" },
      attentionKernel: { value: "flash", source: "none given" },
      elementwiseKernels: { value: "fused", source: "none given" },
      lossBytesPerLogit: { value: FP32_LOGITS_BYTES, source: "none given: one fp32 copy of the logits" },
    },
  ],
};

/** Closest ids by edit distance, for "did you mean" hints. */
function suggestions(id: string, known: string[]): string {
  const distance = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length]![b.length]!;
  };
  const close = known
    .map((k) => ({ k, d: distance(id, k) }))
    .sort((x, y) => x.d - y.d)
    .slice(0, 3)
    .map((x) => x.k);
  return close.length ? ` Did you mean ${close.join(", ")}?` : "";
}

export function checkEntry<T>(schema: TSchema, value: unknown, what: string): T {
  const error = Value.Errors(schema, value).First();
  if (error) {
    const field = error.path.replace(/^\//, "").replaceAll("/", ".");
    throw new UltrasimError("INVALID_INPUT", `${what}: ${error.message}`, { field: field || undefined });
  }
  return value as T;
}

export class Catalog {
  private readonly chips = new Map<string, ChipSpec>();
  private readonly systems = new Map<string, SystemSpec>();
  private readonly models = new Map<string, ModelSpec>();
  private readonly efficiencies = new Map<string, EfficiencyEntry>();
  private readonly networks: ScaleOutNetwork[];
  private readonly frameworks: FrameworkCatalog;
  private readonly calibration: Calibration;
  private readonly calibrationIndex: CalibrationIndex;

  constructor(entries: CatalogEntries) {
    for (const c of entries.chips) this.chips.set(c.id, c);
    for (const s of entries.systems) this.systems.set(s.id, s);
    for (const m of entries.models) if (m.id) this.models.set(m.id, m);
    for (const e of entries.efficiencies) this.efficiencies.set(e.chip, e);
    this.networks = entries.networks ?? [];
    this.frameworks = entries.frameworks ?? NO_FRAMEWORKS;
    checkFrameworkLinks(this.frameworks);
    this.calibration = entries.calibration ?? { method: "none", values: [] };
    this.calibrationIndex = indexCalibration(this.calibration);
  }

  /** A new catalog with these entries added (replacing built-ins with the same id), each validated. */
  withEntries(extra: Partial<CatalogEntries>): Catalog {
    const entries = this.entries();
    for (const c of extra.chips ?? []) entries.chips.push(checkEntry<ChipSpec>(ChipSpec, c, "chip"));
    for (const s of extra.systems ?? []) entries.systems.push(checkEntry<SystemSpec>(SystemSpec, s, "system"));
    for (const m of extra.models ?? []) entries.models.push(checkEntry<ModelSpec>(ModelSpec, m, "model"));
    for (const e of extra.efficiencies ?? []) entries.efficiencies.push(checkEntry<EfficiencyEntry>(EfficiencyEntry, e, "efficiency"));
    if (extra.calibration) entries.calibration = extra.calibration;
    if (extra.frameworks) entries.frameworks = extra.frameworks;
    const next = new Catalog(entries);
    for (const s of next.systems.values()) next.chip(s.chip, `system ${s.id}: chip`);
    return next;
  }

  entries(): CatalogEntries {
    return {
      chips: [...this.chips.values()],
      systems: [...this.systems.values()],
      models: [...this.models.values()],
      efficiencies: [...this.efficiencies.values()],
      networks: [...this.networks],
      frameworks: this.frameworks,
      calibration: this.calibration,
    };
  }

  chip(id: string, field = "chip"): ChipSpec {
    const c = this.chips.get(id);
    if (!c) throw new UltrasimError("UNKNOWN_ID", `unknown chip '${id}'.${suggestions(id, [...this.chips.keys()])}`, { field });
    return c;
  }

  system(id: string, field = "system.id"): SystemSpec {
    const s = this.systems.get(id);
    if (!s)
      throw new UltrasimError(
        "UNKNOWN_ID",
        `unknown system '${id}'.${suggestions(id, [...this.systems.keys()])} (list them: ultrasim catalog systems)`,
        { field },
      );
    return s;
  }

  model(id: string, field = "model"): ModelSpec {
    const m = this.models.get(id);
    if (!m)
      throw new UltrasimError(
        "UNKNOWN_ID",
        `unknown model '${id}'.${suggestions(id, [...this.models.keys()])} (list them: ultrasim catalog models)`,
        { field },
      );
    return m;
  }

  /** The framework a scenario names, else the default for the chip's vendor. */
  framework(chipId: string, id?: string | null, field = "framework"): FrameworkSpec {
    return resolveFramework(this.frameworks, this.chip(chipId), id, field, this.borrowChain(chipId));
  }

  listFrameworks(): FrameworkSpec[] {
    return [...this.frameworks.frameworks];
  }

  /** The built-in (or given) calibration: every fitted value with its provenance. */
  calibrationValues(): Calibration {
    return this.calibration;
  }

  /** The chip and, in order, those it borrows efficiencies from (`efficiencyFrom`), each once. */
  private borrowChain(chipId: string): string[] {
    const chain: string[] = [];
    for (let id: string | undefined = chipId; id && !chain.includes(id); id = this.chips.get(id)?.efficiencyFrom) chain.push(id);
    return chain;
  }

  /** Whose calibrated values a chip under a framework reads: its silicon and the chips it borrows from. */
  owners(chipId: string, framework: FrameworkSpec): Owners {
    const silicon: string[] = [];
    for (const id of this.borrowChain(chipId)) {
      const s = this.chips.get(id)?.silicon ?? id;
      if (!silicon.includes(s)) silicon.push(s);
    }
    const vendor = this.chip(chipId).vendor;
    return {
      silicon,
      framework: framework.fittedWith ?? framework.id,
      collectives: this.frameworks.defaults.collectivesByVendor?.[vendor] ?? "nccl",
      tpCommOverlap: framework.tpCommOverlap.value,
    };
  }

  /**
   * The efficiencies a chip runs at under a framework: a user's own entry for the chip if there is
   * one, else the calibration by silicon, framework and collective library, else priors.
   */
  efficiency(chipId: string, frameworkId?: string | null): { efficiency: Efficiency; provenance: string; basis: EfficiencyBasis | null } {
    const own = this.efficiencies.get(chipId);
    if (own) return { efficiency: own.efficiency, provenance: `${own.provenance} (${chipId})`, basis: null };
    const assembled = assembleEfficiency(this.calibrationIndex, this.owners(chipId, this.framework(chipId, frameworkId)));
    return { efficiency: assembled.efficiency, provenance: assembled.summary, basis: assembled.basis };
  }

  /** The multi-tier scale-out network a system sits on, if the catalog describes one. */
  network(systemId: string): ScaleOutNetwork | undefined {
    return this.networks.find((n) => n.systems.includes(systemId));
  }

  /**
   * The hardware a scenario (or a plan point) runs on: its system, its efficiency overrides, its
   * scale-out link and its framework. Every command that takes a scenario builds its hardware here, so
   * no field of the scenario is left behind.
   */
  hardwareFor(scenario: {
    system: { id: string; scaleOutGbpsPerChip?: number };
    efficiency?: Partial<Efficiency>;
    framework?: string;
  }): Hardware {
    return this.hardware(scenario.system.id, scenario.efficiency ?? {}, scenario.system.scaleOutGbpsPerChip, scenario.framework);
  }

  hardware(systemId: string, override: Partial<Efficiency> = {}, scaleOutGbpsPerChip?: number, frameworkId?: string | null): Hardware {
    const system = this.system(systemId);
    const chip = this.chip(system.chip, `system ${systemId}: chip`);
    const framework = this.framework(chip.id, frameworkId);
    const { efficiency, provenance } = this.efficiency(chip.id, framework.id);
    const overridden = Object.keys(override).length > 0;
    return this.hardwareWith(
      systemId,
      { ...efficiency, ...override, gemm: { ...efficiency.gemm, ...(override.gemm ?? {}) } },
      overridden ? `${provenance}, with scenario overrides` : provenance,
      framework,
      scaleOutGbpsPerChip,
    );
  }

  /** A system's hardware at the given efficiencies (what a fit tries), under a framework. */
  hardwareWith(
    systemId: string,
    efficiency: Efficiency,
    provenance: string,
    framework: FrameworkSpec,
    scaleOutGbpsPerChip?: number,
  ): Hardware {
    const system = this.system(systemId);
    const chip = this.chip(system.chip, `system ${systemId}: chip`);
    const network = this.network(systemId);
    return buildHardware(
      chip,
      system,
      efficiency,
      provenance,
      softwareFeatures(framework),
      scaleOutGbpsPerChip,
      network ? scaleOutTiers(network, system) : undefined,
    );
  }

  listChips(): ChipSpec[] {
    return [...this.chips.values()];
  }
  listSystems(): SystemSpec[] {
    return [...this.systems.values()];
  }
  listModels(): ModelSpec[] {
    return [...this.models.values()];
  }
}
