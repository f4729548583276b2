// The launch configurations `serve plan --emit` writes, one emitter per serving engine. Adding an
// engine is one file beside these and one line in LAUNCH_EMITTERS.
import type { Catalog } from "../../catalog/catalog.js";
import { UltrasimError } from "../../errors.js";
import type { PlanCandidate } from "../plan.js";
import type { RequestSpec, ServingScenario } from "../scenario.js";
import { launchInput, servingRuntime, type EmittedLaunch, type LaunchInput, type ServingRuntime } from "./launchInput.js";
import { emitNeuron } from "./neuron.js";
import { emitSglang } from "./sglang.js";
import { emitTrtllm } from "./trtllm.js";
import { emitVllm } from "./vllm.js";

export type { EmittedLaunch, LaunchFile } from "./launchInput.js";

interface LaunchEmitter {
  /** The software stack the engine runs on. */
  runtime: ServingRuntime;
  /** In words, for messages. */
  description: string;
  emit: (input: LaunchInput) => EmittedLaunch;
}

export const LAUNCH_EMITTERS = {
  vllm: { runtime: "cuda", description: "vLLM on NVIDIA GPUs", emit: emitVllm },
  trtllm: { runtime: "cuda", description: "TensorRT-LLM on NVIDIA GPUs", emit: emitTrtllm },
  sglang: { runtime: "cuda", description: "SGLang on NVIDIA GPUs", emit: emitSglang },
  neuron: { runtime: "neuron", description: "vLLM with NxD Inference on AWS Trainium and Inferentia", emit: emitNeuron },
} as const satisfies Record<string, LaunchEmitter>;

export type LaunchEngine = keyof typeof LAUNCH_EMITTERS;
export const LAUNCH_ENGINES = Object.keys(LAUNCH_EMITTERS) as LaunchEngine[];

export function isLaunchEngine(name: string): name is LaunchEngine {
  return Object.hasOwn(LAUNCH_EMITTERS, name);
}

/** The engines that run on a runtime, for "use one of these" hints. */
function enginesFor(runtime: ServingRuntime): string {
  return LAUNCH_ENGINES.filter((e) => LAUNCH_EMITTERS[e].runtime === runtime).join(" | ");
}

function mismatch(engine: LaunchEngine, system: string, chipName: string, runtime: ServingRuntime, field: string): UltrasimError {
  const runsOn = runtime === "neuron" ? "AWS Neuron" : "NVIDIA GPUs";
  return new UltrasimError(
    "INVALID_INPUT",
    `${engine} is ${LAUNCH_EMITTERS[engine].description}, but ${system} (${chipName}) runs on ${runsOn}: use ${enginesFor(runtime)}, or plan for other systems with --systems`,
    { field },
  );
}

/** Before planning: refuse an engine that none of the systems to search could run. */
export function checkLaunchEngine(engine: LaunchEngine, systems: string[], catalog: Catalog, field = "--emit"): void {
  const runtimes = systems.map((id) => {
    const chip = catalog.chip(catalog.system(id).chip);
    return { id, chip, runtime: servingRuntime(catalog, chip.id) };
  });
  const first = runtimes[0];
  if (first && runtimes.every((r) => r.runtime !== LAUNCH_EMITTERS[engine].runtime))
    throw mismatch(engine, first.id, first.chip.name, first.runtime, field);
}

/**
 * The launch configuration of a plan's deployment on `engine`. Refuses an engine for the other
 * runtime (a GPU engine on a Neuron system, or Neuron on a GPU system): its flags would not run there.
 */
export function emitLaunch(
  engine: LaunchEngine,
  best: PlanCandidate,
  scenario: ServingScenario,
  catalog: Catalog,
  options: { requests?: RequestSpec[]; modelPath?: string; field?: string } = {},
): EmittedLaunch {
  const field = options.field ?? "--emit";
  const input = launchInput(best, scenario, catalog, options);
  const emitter: LaunchEmitter = LAUNCH_EMITTERS[engine];
  if (emitter.runtime !== input.runtime)
    throw mismatch(engine, `the best plan's ${best.pool.system}`, input.chip.name, input.runtime, field);
  return emitter.emit(input);
}
