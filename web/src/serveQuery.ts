// The Serve page's inputs as URL parameters: a serving scenario's fields (model, system, layout,
// batching, traffic) and `ultrasim serve`'s own flags under their names (rate, requests, seed, slo),
// plus the arrival rates of the load sweep. Text as typed; the scenario built from it is checked
// against the same schema as a scenario file.
import { UltrasimError } from "../../src/index.ts";
import { parseSlo } from "../../src/index.ts";

export const SERVE_PARAMS = [
  "model",
  "system",
  "engine",
  "precision",
  "tp",
  "pp",
  "replicas",
  "attention-dp",
  "ep",
  "expert-imbalance",
  "batching",
  "routing",
  "max-batch",
  "input-tokens",
  "output-tokens",
  "shared-prefix",
  "conversation",
  "requests",
  "rates",
  "rate",
  "seed",
  "slo",
  // The deployment search's own (`serve plan --systems`, `--objective`): empty systems is the page's system.
  "plan-systems",
  "objective",
  // The closed-loop curve's client counts (`serve --concurrency 1,4,16,64`).
  "clients",
] as const;
export type ServeParam = (typeof SERVE_PARAMS)[number];
export type ServeQuery = Record<ServeParam, string>;

export const DEFAULT_SERVE: ServeQuery = {
  model: "llama3.1-8b",
  system: "dgx-h100",
  // Empty: the system's default engine (vllm on GPUs, vllm-neuron on Trainium and Inferentia).
  engine: "",
  precision: "bf16",
  tp: "1",
  pp: "1",
  replicas: "1",
  "attention-dp": "1",
  ep: "1",
  // Empty: balanced routing (the scenario leaves the field out).
  "expert-imbalance": "",
  batching: "continuous",
  routing: "least-loaded",
  "max-batch": "64",
  "input-tokens": "1024",
  "output-tokens": "256",
  // Empty: no shared prompt prefix (the scenario leaves the field out).
  "shared-prefix": "",
  // Empty: single requests, not conversations.
  conversation: "",
  requests: "500",
  rates: "1,2,4,8,12,16,24,32",
  rate: "8",
  seed: "1",
  slo: "ttft=1s,tpot=20ms",
  "plan-systems": "",
  objective: "throughput",
  clients: "1,4,16,64",
};

export function serveFromParams(params: URLSearchParams): ServeQuery {
  const query = { ...DEFAULT_SERVE };
  for (const name of SERVE_PARAMS) {
    const text = params.get(name);
    if (text !== null) query[name] = text;
  }
  return query;
}

export function paramsFromServe(query: ServeQuery): URLSearchParams {
  const params = new URLSearchParams({ page: "serve" });
  // No engine is the system's default, no imbalance is balanced routing and no plan systems is the page's
  // system: the URL leaves them out.
  for (const name of SERVE_PARAMS)
    if (
      (name !== "engine" &&
        name !== "expert-imbalance" &&
        name !== "shared-prefix" &&
        name !== "conversation" &&
        name !== "plan-systems") ||
      query[name].trim()
    )
      params.set(name, query[name].trim());
  return params;
}

/** A number as the scenario's value; text that is not one is left as text, so the schema check names the field. */
const numberOrText = (text: string): number | string => {
  const value = Number(text);
  return text.trim() === "" || !Number.isFinite(value) ? text : value;
};

/** "1024" is every request the same; "256..2048" is uniform between the two. */
function lengthOf(text: string): unknown {
  const parts = text.split("..");
  if (parts.length === 2) return { distribution: "uniform", min: numberOrText(parts[0]!), max: numberOrText(parts[1]!) };
  return numberOrText(text);
}

/** "2000" is a shared prefix of 2,000 tokens; "2000:8" one of eight (the CLI's --shared-prefix). */
function sharedPrefixOf(text: string): unknown {
  const [tokens, prefixes] = text.trim().split(":");
  return { tokens: numberOrText(tokens ?? ""), ...(prefixes !== undefined ? { prefixes: numberOrText(prefixes) } : {}) };
}

/** "4" is conversations of four turns; "4:5" with 5 s of thinking between (the CLI's --conversation). */
function conversationOf(text: string): unknown {
  const [turns, think] = text.trim().split(":");
  return { turns: numberOrText(turns ?? ""), ...(think !== undefined ? { thinkSeconds: numberOrText(think) } : {}) };
}

/** The load sweep's arrival rates (requests/s), sorted, with the detail rate among them. */
export function sweepRates(query: ServeQuery): number[] {
  const rates = [...query.rates.split(","), query.rate].filter((t) => t.trim() !== "");
  const values = rates.map((t) => {
    const v = Number(t);
    if (!(v > 0))
      throw new UltrasimError("INVALID_INPUT", `must be a positive number of requests per second, got '${t.trim()}'`, {
        field: t === query.rate ? "--rate" : "rates",
      });
    return v;
  });
  return [...new Set(values)].sort((a, b) => a - b);
}

/** The serving scenario of the inputs at one arrival rate: what `ultrasim serve FILE --json` reads. */
export function servingScenarioOf(query: ServeQuery, ratePerSecond: number): Record<string, unknown> {
  const slo = parseSlo(query.slo);
  return {
    schemaVersion: 1,
    kind: "serving",
    model: query.model,
    deployment: {
      system: query.system,
      ...(query.engine.trim() ? { engine: query.engine.trim() } : {}),
      precision: query.precision,
      tp: numberOrText(query.tp),
      pp: numberOrText(query.pp),
      replicas: numberOrText(query.replicas),
      attentionDp: numberOrText(query["attention-dp"]),
      ep: numberOrText(query.ep),
      ...(query["expert-imbalance"].trim() ? { expertLoadImbalance: numberOrText(query["expert-imbalance"]) } : {}),
      batching: { policy: query.batching, maxBatch: numberOrText(query["max-batch"]) },
      ...(query.routing !== "least-loaded" ? { routing: query.routing } : {}),
    },
    traffic: {
      requests: numberOrText(query.requests),
      arrival: { kind: "poisson", ratePerSecond },
      inputTokens: lengthOf(query["input-tokens"]),
      outputTokens: lengthOf(query["output-tokens"]),
      ...(query["shared-prefix"].trim() ? { sharedPrefix: sharedPrefixOf(query["shared-prefix"]) } : {}),
      ...(query.conversation.trim() ? { conversation: conversationOf(query.conversation) } : {}),
    },
    ...(Object.keys(slo).length ? { slo } : {}),
    seed: numberOrText(query.seed),
  };
}
