// A serving scenario: the model, one pool of replicas (or a prefill pool and a decode pool), the
// batching policy, the traffic and the SLO. `ultrasim schema` publishes it as
// schema/serving-scenario.json.
import { Type, type Static } from "@sinclair/typebox";
import { MAX_EXPERT_LOAD_IMBALANCE, ModelSpec } from "../catalog/schema.js";
import { EfficiencySpec } from "../system/efficiency.js";

export const SERVING_PRECISIONS = ["bf16", "fp16", "fp8", "mxfp8", "nvfp4", "mxfp4"] as const;
export const ServingPrecision = Type.Union(SERVING_PRECISIONS.map((p) => Type.Literal(p)));

export const BatchingSpec = Type.Object(
  {
    policy: Type.Union([Type.Literal("continuous"), Type.Literal("static")], {
      description: "continuous: requests join and leave the running batch every iteration; static: a batch runs to its longest request",
    }),
    maxBatch: Type.Integer({
      minimum: 1,
      description:
        "the most requests running at once per scheduler (the static batch size): a replica has one per attention data-parallel rank and pipeline stage",
    }),
    maxTokensPerIteration: Type.Optional(
      Type.Integer({ minimum: 1, description: "token budget of one iteration (prefill tokens + one per decoding request); default 8192" }),
    ),
    chunkedPrefill: Type.Optional(Type.Boolean({ description: "split prompts over iterations to fit the token budget; default true" })),
    kvAdmission: Type.Optional(
      Type.Union([Type.Literal("on-demand"), Type.Literal("reserve")], {
        description:
          "on-demand (vLLM): KV blocks as the context grows, preempting the newest request on a full cache; reserve (TensorRT-LLM's GUARANTEED_NO_EVICT): a request joins only when its whole context fits, never preempted; default on-demand",
      }),
    ),
  },
  { additionalProperties: false },
);
export type BatchingSpec = Static<typeof BatchingSpec>;

export const SPECULATIVE_METHODS = ["draft-model", "mtp", "eagle", "ngram"] as const;
export type SpeculativeMethod = (typeof SPECULATIVE_METHODS)[number];

export const SpeculativeSpec = Type.Object(
  {
    method: Type.Union(
      SPECULATIVE_METHODS.map((m) => Type.Literal(m)),
      {
        description:
          "how draft tokens are proposed: draft-model (a smaller model of the same tokenizer), mtp (the model's multi-token-prediction module, DeepSeek-V3), eagle (one extra decoder layer on the target's hidden states), ngram (prompt lookup, no model)",
      },
    ),
    draftTokens: Type.Integer({ minimum: 1, description: "k: tokens drafted per step; the target verifies k + 1 per decoding request" }),
    acceptanceRate: Type.Number({
      minimum: 0,
      exclusiveMaximum: 1,
      description:
        "alpha: probability that each draft token is accepted, independently (Leviathan et al. 2023); a step yields (1 - alpha^(k+1)) / (1 - alpha) tokens on average",
    }),
    draftModel: Type.Optional(
      Type.Union([Type.String({ description: "a model id from `ultrasim catalog models`" }), ModelSpec], {
        description: "method draft-model only: the draft model, run at the pool's tp and precision",
      }),
    ),
  },
  { additionalProperties: false },
);
export type SpeculativeSpec = Static<typeof SpeculativeSpec>;

export const PoolSpec = Type.Object(
  {
    system: Type.String({ description: "a system id from `ultrasim catalog systems`" }),
    precision: ServingPrecision,
    kvCachePrecision: Type.Optional(ServingPrecision),
    tp: Type.Integer({ minimum: 1 }),
    pp: Type.Optional(Type.Integer({ minimum: 1 })),
    ep: Type.Optional(Type.Integer({ minimum: 1, description: "expert-parallel degree inside a replica; divides tp * attentionDp" })),
    replicas: Type.Integer({ minimum: 1, description: "independent copies of the model; chips = tp * attentionDp * pp * replicas" }),
    batching: BatchingSpec,
    /** Fraction of HBM the server may use (vLLM's gpu_memory_utilization); default 0.9. */
    memoryUtilization: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    /** Tokens per KV-cache block (paged attention); default 16. */
    kvBlockTokens: Type.Optional(Type.Integer({ minimum: 1 })),
    engine: Type.Optional(
      Type.String({
        description:
          "the serving engine (data/serving-engines.json): vllm | trtllm | sglang | vllm-neuron | nxd-inference | transformers-neuronx | tgi-neuron; default vllm on GPUs, vllm-neuron on Trainium and Inferentia. It sets the scheduler, the KV admission, chunking and the host overhead per iteration",
      }),
    ),
    /** Host time per iteration, replacing the engine's figure. */
    iterationOverheadUs: Type.Optional(Type.Number({ minimum: 0, description: "host time per iteration in µs, replacing the engine's" })),
    engineVersion: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'the engine\'s release ("0.10.1", "1.0.0rc4"): where the engine changed its default scheduling at a release (vLLM\'s async scheduling, TensorRT-LLM\'s PyTorch backend), the version picks it',
      }),
    ),
    hostOverlap: Type.Optional(
      Type.Boolean({
        description:
          "whether the engine schedules the next iteration while the accelerator runs this one (vLLM's async scheduling, SGLang's overlap scheduler), so a step takes the longer of its device and host time; replaces the engine's",
      }),
    ),
    compiledBatch: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          "static-shape engines (Neuron): the batch the decode graph always executes; a smaller running batch is padded up to it. Default: maxBatch",
      }),
    ),
    sequenceBuckets: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1 }), {
        minItems: 1,
        description:
          "static-shape engines: the compiled sequence lengths, ascending; default powers of two from 128 to the longest request",
      }),
    ),
    attentionDp: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          "attention data-parallel ranks per replica (DeepSeek, SGLang's --enable-dp-attention): each runs attention tp-way with its own batch and KV cache, the MoE layers span all tp * attentionDp chips; a replica spans tp * attentionDp * pp chips; default 1",
      }),
    ),
    etp: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
        description:
          "expert tensor-parallel degree of the MoE layers, with ep * etp = tp * attentionDp; default null: tp * attentionDp / ep (each expert split over the ranks ep leaves)",
      }),
    ),
    speculative: Type.Optional(SpeculativeSpec),
    streamInterval: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          "tokens per streamed chunk (SGLang's --stream-interval, TensorRT-LLM's stream_interval): a client sees its first token with the first chunk, so TTFT waits for that many tokens (or the whole answer if shorter); with disaggregated pools the decode pool's applies. Default 1",
      }),
    ),
    routing: Type.Optional(
      Type.Union([Type.Literal("least-loaded"), Type.Literal("cache-aware")], {
        description:
          "how an arriving request picks a replica: least-loaded (default), or cache-aware as SGLang's router does (--policy cache_aware): to the replica its prefix was sent to before unless the load is out of balance",
      }),
    ),
    prefixCaching: Type.Optional(
      Type.Boolean({
        description:
          "keep the KV blocks of shared prompt prefixes for later requests (vLLM's automatic prefix caching, SGLang's RadixAttention, TensorRT-LLM's KV block reuse); replaces the engine's default (on for vllm, sglang and trtllm, off on Neuron, whose static-shape engines are not modelled with it)",
      }),
    ),
    expertLoadImbalance: Type.Optional(
      Type.Number({
        minimum: 1,
        maximum: MAX_EXPERT_LOAD_IMBALANCE,
        description:
          "MoE with expert parallelism: tokens routed to the busiest expert-parallel rank over the mean; every rank waits for it. Default 1: balanced",
      }),
    ),
  },
  { additionalProperties: false },
);
export type PoolSpec = Static<typeof PoolSpec>;

export const LengthSpec = Type.Union([
  Type.Integer({ minimum: 1, description: "every request the same" }),
  Type.Object(
    { distribution: Type.Literal("uniform"), min: Type.Integer({ minimum: 1 }), max: Type.Integer({ minimum: 1 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      distribution: Type.Literal("lognormal"),
      mean: Type.Number({ minimum: 1 }),
      sigma: Type.Number({ minimum: 0, description: "standard deviation of the log of the length" }),
      max: Type.Optional(Type.Integer({ minimum: 1 })),
    },
    { additionalProperties: false },
  ),
]);
export type LengthSpec = Static<typeof LengthSpec>;

export const ArrivalSpec = Type.Union([
  Type.Object({ kind: Type.Literal("offline") }, { additionalProperties: false, description: "all requests queued at time 0" }),
  Type.Object({ kind: Type.Literal("poisson"), ratePerSecond: Type.Number({ exclusiveMinimum: 0 }) }, { additionalProperties: false }),
  Type.Object(
    { kind: Type.Literal("constant"), ratePerSecond: Type.Number({ exclusiveMinimum: 0 }) },
    {
      additionalProperties: false,
      description: "evenly spaced arrivals, one every 1/ratePerSecond seconds from time 0, as guidellm's constant-rate profile sends them",
    },
  ),
  Type.Object(
    {
      kind: Type.Literal("closed-loop"),
      concurrency: Type.Integer({ minimum: 1, description: "clients, each sending its next request when its last one completes" }),
      measure: Type.Optional(
        Type.Union([Type.Literal("steady-state"), Type.Literal("whole-run")], {
          description:
            "which requests the latencies cover: steady-state (default) leaves out the first round (every client sending at time 0) and the last (clients draining away); whole-run keeps every request, as vLLM's benchmark_serving --max-concurrency reports",
        }),
      ),
    },
    {
      additionalProperties: false,
      description:
        "a fixed number of clients in a closed loop, as benchmark clients run (guidellm, vLLM's benchmark_serving --max-concurrency)",
    },
  ),
  Type.Object(
    {
      kind: Type.Literal("bursty"),
      ratePerSecond: Type.Number({ exclusiveMinimum: 0 }),
      /** Squared coefficient of variation of the gaps (gamma-distributed); 1 is Poisson, larger is burstier. */
      burstiness: Type.Number({ exclusiveMinimum: 0 }),
    },
    { additionalProperties: false },
  ),
]);
export type ArrivalSpec = Static<typeof ArrivalSpec>;

export const TrafficSpec = Type.Object(
  {
    requests: Type.Optional(Type.Integer({ minimum: 1, description: "how many requests to simulate (not with trace)" })),
    arrival: Type.Optional(ArrivalSpec),
    inputTokens: Type.Optional(LengthSpec),
    outputTokens: Type.Optional(LengthSpec),
    /** A CSV or JSONL file of requests (arrival time in seconds, input tokens, output tokens), relative to the scenario. */
    trace: Type.Optional(Type.String()),
    sharedPrefix: Type.Optional(
      Type.Object(
        {
          tokens: Type.Integer({
            minimum: 1,
            description:
              "tokens at the start of each prompt that other requests share (a system prompt, few-shot examples, a document asked about): part of the prompt's length, at most all but its last token",
          }),
          prefixes: Type.Optional(
            Type.Integer({
              minimum: 1,
              description: "how many distinct shared prefixes; each request draws one, uniformly (seeded). Default 1",
            }),
          ),
        },
        {
          additionalProperties: false,
          description: "prompts that start alike, which an engine with prefix caching computes once per replica",
        },
      ),
    ),
    conversation: Type.Optional(
      Type.Object(
        {
          /** Requests per conversation: a number, or a distribution drawn per conversation. */
          turns: LengthSpec,
          thinkSeconds: Type.Optional(
            Type.Number({
              minimum: 0,
              description: "seconds between an answer and the next question of the same conversation; default 0",
            }),
          ),
        },
        {
          additionalProperties: false,
          description:
            "multi-turn conversations of `turns` requests (a number, or a distribution drawn per conversation): requests counts conversations, arriving as arrival says; each next turn's prompt is the conversation so far (every prompt and answer) plus a new message of inputTokens, sent thinkSeconds after the last answer",
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type TrafficSpec = Static<typeof TrafficSpec>;

export const SloSpec = Type.Object(
  {
    ttftSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    tpotSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    e2eSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
);
export type SloSpec = Static<typeof SloSpec>;

export const DisaggregatedSpec = Type.Object(
  {
    prefill: PoolSpec,
    decode: PoolSpec,
    /** How the KV cache moves from prefill to decode: the scale-out network (EFA, InfiniBand) or one shared scale-up domain (NVLink, NeuronLink). */
    kvLink: Type.Optional(Type.Union([Type.Literal("scale-out"), Type.Literal("scale-up")])),
  },
  { additionalProperties: false },
);
export type DisaggregatedSpec = Static<typeof DisaggregatedSpec>;

export const ServingScenario = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    kind: Type.Optional(Type.Literal("serving")),
    name: Type.Optional(Type.String()),
    model: Type.Union([Type.String({ description: "a model id from `ultrasim catalog models`" }), ModelSpec]),
    /** One pool of replicas, each running prefill and decode (colocated serving) ... */
    deployment: Type.Optional(PoolSpec),
    /** ... or a prefill pool and a decode pool (disaggregated serving). */
    disaggregated: Type.Optional(DisaggregatedSpec),
    traffic: TrafficSpec,
    slo: Type.Optional(SloSpec),
    seed: Type.Optional(Type.Integer({ minimum: 0, description: "seed of the traffic generator; same seed, same output" })),
    /** Replace any of the chips' efficiencies for this scenario. */
    efficiency: Type.Optional(Type.Partial(EfficiencySpec)),
  },
  { additionalProperties: false, $id: "https://ultrasim.dev/schema/serving-scenario.json", title: "ultrasim serving scenario" },
);
export type ServingScenario = Static<typeof ServingScenario>;

/** A request as the simulator sees it: when it arrives and how long its prompt and answer are. */
export interface RequestSpec {
  arrivalSeconds: number;
  inputTokens: number;
  outputTokens: number;
  /** The shared prefix the prompt starts with (traffic.sharedPrefix, or its conversation so far), and its length in tokens. */
  prefixGroup?: number;
  prefixTokens?: number;
  /** A conversation's next turn: the request it follows, sent `thinkSeconds` after that one ends (its arrivalSeconds unused). */
  follows?: number;
  thinkSeconds?: number;
}

export const DEFAULT_MAX_TOKENS_PER_ITERATION = 8192;
export const DEFAULT_KV_ADMISSION = "on-demand" as const;
export const DEFAULT_MEMORY_UTILIZATION = 0.9;
export const DEFAULT_KV_BLOCK_TOKENS = 16;
