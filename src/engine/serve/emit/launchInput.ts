// What a serving engine's launch configuration is written from: the best plan's pool, resolved against
// the catalog (chip, KV-cache precision, memory per chip), the model and where its checkpoint is, and
// the longest context the planned traffic needs. The emitters (vllm.ts, trtllm.ts, sglang.ts,
// neuron.ts) read only this.
import type { Catalog } from "../../catalog/catalog.js";
import type { ChipSpec, ModelSpec, Precision } from "../../catalog/schema.js";
import { resolvePool, servingRuntime, type PoolSummary, type ServingRuntime } from "../deployment.js";
import type { PlanCandidate } from "../plan.js";
import { BUILTIN_SERVING_ENGINES, hostOverlapOf } from "../engines.js";
import {
  DEFAULT_KV_BLOCK_TOKENS,
  DEFAULT_MEMORY_UTILIZATION,
  type LengthSpec,
  type RequestSpec,
  type ServingScenario,
} from "../scenario.js";
import { scenarioRequests } from "../serve.js";
import { shellWord } from "./shellWord.js";
import { ranksPerChip } from "../../workload/headSharding.js";

export { servingRuntime, type ServingRuntime } from "../deployment.js";

/** The longest request the launch must admit, and how it was found. */
export interface ContextNeeds {
  /** The longest prompt, in tokens. */
  maxInputTokens: number;
  /** The longest prompt plus answer, in tokens: the engine's max model length. */
  maxContextTokens: number;
  /** Where the figures come from, in words (the traffic's declared bounds, or the longest simulated request). */
  basis: string;
}

export interface LaunchInput {
  candidate: PlanCandidate;
  summary: PoolSummary;
  chip: ChipSpec;
  runtime: ServingRuntime;
  /** Tensor-parallel ranks per chip: Neuron's logical NeuronCores, 1 on a GPU. */
  logicalCoresPerChip: number;
  model: ModelSpec;
  /** The checkpoint to load, as one shell word: a Hugging Face repo id, a path, or a placeholder that refuses to run unset. */
  modelArg: string;
  /** Where the checkpoint came from, in words. */
  modelPathBasis: string;
  context: ContextNeeds;
  memoryUtilization: number;
  kvBlockTokens: number;
  /**
   * Of the memory left after the weights, activations and runtime, the fraction the KV cache takes
   * (TensorRT-LLM's kv_cache_free_gpu_memory_fraction), so that the cache is the size the plan simulated.
   */
  kvFractionOfFreeMemory: number;
  /** Tokens per streamed chunk the plan simulated (1: every token as sampled). */
  streamInterval: number;
}

/** A length's upper bound where the traffic declares one (a fixed length, uniform max, lognormal max). */
function declaredMax(spec: LengthSpec | undefined): number | undefined {
  if (spec === undefined) return undefined;
  if (typeof spec === "number") return spec;
  return spec.max;
}

export function contextNeeds(scenario: ServingScenario, requests?: RequestSpec[]): ContextNeeds {
  const inputCap = requests ? undefined : declaredMax(scenario.traffic.inputTokens);
  const outputCap = requests ? undefined : declaredMax(scenario.traffic.outputTokens);
  if (inputCap !== undefined && outputCap !== undefined)
    return {
      maxInputTokens: inputCap,
      maxContextTokens: inputCap + outputCap,
      basis: `the traffic's longest prompt (${inputCap}) plus longest answer (${outputCap})`,
    };
  const simulated = requests ?? scenarioRequests(scenario);
  let maxInputTokens = 1;
  let maxContextTokens = 1;
  for (const r of simulated) {
    maxInputTokens = Math.max(maxInputTokens, r.inputTokens);
    maxContextTokens = Math.max(maxContextTokens, r.inputTokens + r.outputTokens);
  }
  return {
    maxInputTokens,
    maxContextTokens,
    basis: `the longest of the ${simulated.length} simulated requests (${requests ? "the trace" : "the traffic declares no upper bound"}): longer requests would be refused`,
  };
}

/** `org/name` where the model's figures came from a Hugging Face config (data/models.json `source`). */
function huggingFaceRepo(model: ModelSpec): string | undefined {
  return /^https:\/\/huggingface\.co\/([\w.-]+\/[\w.-]+)\/(?:blob|resolve|tree)\//.exec(model.source ?? "")?.[1];
}

function checkpoint(model: ModelSpec, modelPath: string | undefined): { modelArg: string; modelPathBasis: string } {
  const name = (model.id ?? model.name).replace(/[^\w .()-]/g, "");
  if (modelPath) return { modelArg: shellWord(modelPath), modelPathBasis: "given with --model-path" };
  const repo = huggingFaceRepo(model);
  if (repo) return { modelArg: repo, modelPathBasis: `the Hugging Face repo the catalog's figures for ${name} come from` };
  // ${VAR:?message}: the shell stops with the message rather than start a server on no model.
  return {
    modelArg: `"\${MODEL_PATH:?set MODEL_PATH to the ${name} checkpoint (Hugging Face format)}"`,
    modelPathBasis: `a placeholder: the catalog names no checkpoint for ${name}; set MODEL_PATH or give --model-path`,
  };
}

export function launchInput(
  candidate: PlanCandidate,
  scenario: ServingScenario,
  catalog: Catalog,
  options: { requests?: RequestSpec[]; modelPath?: string } = {},
): LaunchInput {
  const model = typeof scenario.model === "string" ? catalog.model(scenario.model) : scenario.model;
  const pool = candidate.pool;
  const { summary, hw } = resolvePool(pool, "colocated", model, catalog, "deployment");
  const chip = catalog.chip(summary.chipId);
  const memoryUtilization = pool.memoryUtilization ?? DEFAULT_MEMORY_UTILIZATION;
  const m = summary.memory;
  const freeAfterWeights = hw.hbmBytes - hw.runtimeReservedBytes - m.weightBytesPerChip - m.activationBytesPerChip;
  return {
    candidate,
    summary,
    chip,
    runtime: servingRuntime(catalog, chip.id),
    logicalCoresPerChip: ranksPerChip(chip),
    model,
    ...checkpoint(model, options.modelPath),
    context: contextNeeds(scenario, options.requests),
    memoryUtilization,
    kvBlockTokens: pool.kvBlockTokens ?? DEFAULT_KV_BLOCK_TOKENS,
    kvFractionOfFreeMemory: freeAfterWeights > 0 ? Math.min(1, Math.max(0, m.kvBytesPerChip / freeAfterWeights)) : 0,
    streamInterval: pool.streamInterval ?? 1,
  };
}

/** The weights' precision is 8 bits or fewer: a quantized checkpoint or on-the-fly quantization. */
export function isQuantized(precision: Precision): boolean {
  return !["bf16", "fp16", "fp32", "tf32"].includes(precision);
}

/** A file of the launch configuration: its name (relative to where the files are written) and text. */
export interface LaunchFile {
  name: string;
  contents: string;
}

/** What an emitter writes: the command that starts one server, the files it reads, and what to know. */
export interface EmittedLaunch {
  engine: string;
  command: string;
  files: LaunchFile[];
  notes: string[];
}

/** What every launch says, whichever engine: how many servers to start, the checkpoint, the context. */
export function sharedNotes(input: LaunchInput, options: { oneLaunchForAllReplicas?: boolean } = {}): string[] {
  const { candidate, summary, context, model } = input;
  const perServer = summary.tp * summary.attentionDp * summary.pp;
  const notes = [
    `best plan: ${candidate.pool.system}, ${summary.replicas} x (tp ${summary.tp}${summary.attentionDp > 1 ? ` attention dp ${summary.attentionDp}` : ""}${summary.pp > 1 ? ` pp ${summary.pp}` : ""}${summary.ep > 1 ? ` ep ${summary.ep}` : ""}), ${summary.precision} weights, ${summary.kvCachePrecision} KV cache, ${candidate.chips} chips`,
    `model: ${input.modelArg} (${input.modelPathBasis})`,
    `longest request ${context.maxContextTokens} tokens of context: ${context.basis}`,
  ];
  if (typeof model.maxContext === "number" && context.maxContextTokens > model.maxContext)
    notes.push(
      `the traffic needs ${context.maxContextTokens} tokens of context, more than the model's ${model.maxContext}: the engine will refuse it`,
    );
  if (summary.policy === "static")
    notes.push("the plan simulated static batching; the engine batches continuously (requests join and leave every iteration)");
  if (summary.replicas > 1 && !options.oneLaunchForAllReplicas)
    notes.push(
      summary.routing === "cache-aware"
        ? `start ${summary.replicas} servers, one per replica, each on its own ${perServer} chip${perServer > 1 ? "s" : ""}, behind SGLang's router as the plan routed them: python -m sglang_router.launch_router --policy cache_aware --worker-urls URL... (its default thresholds are the ones simulated)`
        : `start ${summary.replicas} servers, one per replica, each on its own ${perServer} chip${perServer > 1 ? "s" : ""}, behind a load balancer`,
    );
  return notes;
}

/** The plan's speculative decoding, and its draft model's id or name where it has one. */
export function speculationOf(
  input: LaunchInput,
): { method: string; draftTokens: number; acceptanceRate: number; draft: string | null } | null {
  const spec = input.candidate.pool.speculative;
  if (!spec) return null;
  const draft =
    spec.draftModel === undefined
      ? null
      : typeof spec.draftModel === "string"
        ? spec.draftModel
        : (spec.draftModel.id ?? spec.draftModel.name);
  return { method: spec.method, draftTokens: spec.draftTokens, acceptanceRate: spec.acceptanceRate, draft };
}

/** The placeholder a launch writes where a drafter's checkpoint path must go. */
export const DRAFT_PATH_PLACEHOLDER = "DRAFT_MODEL_PATH";

/**
 * The host-overlap mode a launch of `engineId` must write: the plan's, where it differs from what that
 * engine's release runs by default (the pool's engineVersion where the pool ran this engine, else the
 * engine's default); null where the default already is the plan's. TensorRT-LLM's and Neuron's
 * emitters do not use it: their launches run a backend whose default is fixed (trtllm.ts, neuron.ts).
 */
export function overlapToWrite(input: LaunchInput, engineId: string): boolean | null {
  const engine = BUILTIN_SERVING_ENGINES.find((e) => e.id === engineId)!;
  const pool = input.candidate.pool;
  const version = (pool.engine ?? input.summary.engine) === engineId ? pool.engineVersion : undefined;
  const byDefault = hostOverlapOf(engine, { engineVersion: version }).value;
  return input.summary.hostOverlap.value === byDefault ? null : input.summary.hostOverlap.value;
}
