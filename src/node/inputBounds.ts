// Bounds on the inputs whose schemas live in model files (the serving scenario): the same bounds as
// the schemas carry elsewhere (data/bounds.json), checked on the parsed file by path, so the error
// names the file, the line and the field.
import { bound, boundMessage, checkWork, type BoundName } from "../engine/bounds.js";
import { UltrasimError } from "../engine/errors.js";
import type { ServingScenario } from "../engine/serve/scenario.js";
import { longestLength } from "../engine/serve/traffic.js";
import { locate, type LoadedDocument } from "./loadInput.js";

const POOL_FIELDS: [string, BoundName][] = [
  ["tp", "chips"],
  ["pp", "chips"],
  ["ep", "chips"],
  ["attentionDp", "chips"],
  ["etp", "chips"],
  ["replicas", "chips"],
  ["batching.maxBatch", "requests"],
  ["batching.maxTokensPerIteration", "seqLen"],
  ["kvBlockTokens", "seqLen"],
];
const LENGTH_FIELDS = ["", ".min", ".max", ".mean"];

function at(value: unknown, path: string): unknown {
  let node = value;
  for (const key of path.split(".").filter(Boolean)) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Every bounded field of the serving scenario (or the part of a file under `prefix`) within its bound. */
export function checkServingBounds(loaded: LoadedDocument, prefix = ""): void {
  const scenario = at(loaded.value, prefix);
  const check = (path: string, name: BoundName) => {
    const value = at(scenario, path);
    if (typeof value === "number" && value > bound(name).max)
      throw locate(new UltrasimError("INVALID_INPUT", boundMessage(bound(name), value), { field: prefix + path }), loaded);
  };
  for (const pool of ["deployment", "disaggregated.prefill", "disaggregated.decode", "prefill", "decode"]) {
    if (at(scenario, pool) === undefined) continue;
    for (const [field, name] of POOL_FIELDS) check(`${pool}.${field}`, name);
    const chips = ["tp", "attentionDp", "pp", "replicas"]
      .map((k) => at(scenario, `${pool}.${k}`))
      .reduce<number>((p, v) => p * (typeof v === "number" ? v : 1), 1);
    if (chips > bound("chips").max)
      throw locate(
        new UltrasimError("INVALID_INPUT", `tp*attentionDp*pp*replicas ${boundMessage(bound("chips"), chips)}`, {
          field: `${prefix}${pool}.replicas`,
        }),
        loaded,
      );
  }
  check("traffic.requests", "requests");
  for (const length of ["traffic.inputTokens", "traffic.outputTokens"]) for (const f of LENGTH_FIELDS) check(length + f, "seqLen");
  for (const f of LENGTH_FIELDS) check("traffic.conversation.turns" + f, "requests");
}

/**
 * The serving simulation's work: requests and replicas within the work bounds unless forced, and the
 * requests within the memory the simulation has. `fields` names where each came from (a flag or a
 * file's field), for the message.
 */
export function checkServingWork(scenario: ServingScenario, started: number, force: boolean, fields: { requests: string }): void {
  // Conversations: each request started brings up to its most turns.
  const turns = scenario.traffic.conversation;
  const most = turns ? Math.min(longestLength(turns.turns), bound("requests").max + 1) : 1;
  const requestCount = started * most;
  const of = turns ? ` (${started.toLocaleString("en-US")} conversations of up to ${most.toLocaleString("en-US")} turns)` : "";
  if (requestCount > bound("requests").max)
    throw new UltrasimError("INVALID_INPUT", boundMessage(bound("requests"), requestCount) + of, { field: fields.requests });
  checkWork("requestsWork", requestCount, fields.requests, force, ` to simulate${of}`);
  const pools = scenario.deployment
    ? [["deployment", scenario.deployment] as const]
    : scenario.disaggregated
      ? ([
          ["disaggregated.prefill", scenario.disaggregated.prefill],
          ["disaggregated.decode", scenario.disaggregated.decode],
        ] as const)
      : [];
  for (const [path, pool] of pools) checkWork("replicasWork", pool.replicas, `${path}.replicas`, force, " to simulate");
}
