// The schedulers serving engines run, by name. An engine (data/serving-engines.json) names the one it
// uses; a new way of scheduling is a new file in this folder, registered here.
import { continuousBatching } from "./continuousBatching.js";
import { neuronContinuous } from "./neuronContinuous.js";
import { prefillFirst } from "./prefillFirst.js";
import type { SchedulerPolicy } from "./scheduler.js";
import { staticBatch } from "./staticBatch.js";

export const SCHEDULERS = {
  "continuous-batching": continuousBatching,
  "prefill-first": prefillFirst,
  "neuron-continuous": neuronContinuous,
  "static-batch": staticBatch,
} as const satisfies Record<string, SchedulerPolicy>;

export type SchedulerName = keyof typeof SCHEDULERS;
export const SCHEDULER_NAMES = Object.keys(SCHEDULERS) as SchedulerName[];
