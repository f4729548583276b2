// `serve plan --emit`: each engine's launch carries the plan's values, derived here from the pool and
// the catalog on their own (tp 4 is --tensor-parallel-size 4; on Neuron, chips x logical cores), and
// an engine for the other runtime is refused.
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { UltrasimError } from "../src/engine/errors.js";
import { LAUNCH_ENGINES, checkLaunchEngine, emitLaunch, type EmittedLaunch, type LaunchEngine } from "../src/engine/serve/emit/index.js";
import { contextNeeds } from "../src/engine/serve/emit/launchInput.js";
import type { PlanCandidate } from "../src/engine/serve/plan.js";
import { planServing } from "../src/engine/serve/plan.js";
import type { PoolSpec, ServingScenario } from "../src/engine/serve/scenario.js";
import { predictServing, scenarioRequests } from "../src/engine/serve/serve.js";

const catalog = builtinCatalog();

const scenarioFor = (pool: PoolSpec, over: Partial<ServingScenario> = {}): ServingScenario => ({
  schemaVersion: 1,
  model: "llama3.1-70b",
  deployment: pool,
  traffic: {
    requests: 50,
    arrival: { kind: "poisson", ratePerSecond: 2 },
    inputTokens: { distribution: "uniform", min: 100, max: 3000 },
    outputTokens: 500,
  },
  seed: 3,
  ...over,
});

/** A plan candidate for `pool`, as the planner would rank it (only the pool matters to the emitters). */
const candidateFor = (pool: PoolSpec): PlanCandidate => ({
  pool,
  engine: pool.engine ?? "vllm",
  chips: pool.tp * (pool.pp ?? 1) * pool.replicas,
  meetsSlo: true,
  reason: null,
  outputTokensPerSecond: 1,
  outputTokensPerSecondPerChip: 1,
  ttftP90Seconds: null,
  tpotP90Seconds: null,
  goodputFraction: null,
  usdPerMillionOutputTokens: null,
  costReason: null,
});

const emit = (engine: LaunchEngine, pool: PoolSpec, over: Partial<ServingScenario> = {}, modelPath?: string): EmittedLaunch =>
  emitLaunch(engine, candidateFor(pool), scenarioFor(pool, over), catalog, { modelPath });

/** The command's words, its line continuations removed. */
const words = (command: string) => command.replace(/\\\n/g, " ").split(/\s+/).filter(Boolean);
/** The word after `flag`, or undefined where the command has no such flag. */
const flag = (command: string, name: string) => {
  const w = words(command);
  const i = w.indexOf(name);
  return i < 0 ? undefined : w[i + 1];
};
const has = (command: string, name: string) => words(command).includes(name);

const h100: PoolSpec = {
  system: "dgx-h100",
  precision: "fp8",
  tp: 4,
  replicas: 2,
  batching: { policy: "continuous", maxBatch: 128, maxTokensPerIteration: 4096, chunkedPrefill: true },
  memoryUtilization: 0.85,
  kvBlockTokens: 32,
};
const trn2: PoolSpec = {
  system: "trn2.48xlarge",
  precision: "bf16",
  tp: 4,
  replicas: 2,
  batching: { policy: "continuous", maxBatch: 64, maxTokensPerIteration: 8192 },
};
// 3000-token prompts at most plus 500-token answers.
const MAX_CONTEXT = 3500;

describe("vllm", () => {
  it("carries tp, pp, batch, token budget, memory, block size, max model length and fp8", () => {
    const { command, files, notes } = emit("vllm", h100);
    expect(words(command).slice(0, 3)).toEqual(["vllm", "serve", "meta-llama/Llama-3.1-70B"]);
    expect(flag(command, "--tensor-parallel-size")).toBe("4");
    expect(flag(command, "--pipeline-parallel-size")).toBe("1");
    expect(flag(command, "--max-num-seqs")).toBe("128");
    expect(flag(command, "--max-num-batched-tokens")).toBe("4096");
    expect(flag(command, "--gpu-memory-utilization")).toBe("0.85");
    expect(flag(command, "--block-size")).toBe("32");
    expect(flag(command, "--max-model-len")).toBe(String(MAX_CONTEXT));
    expect(flag(command, "--quantization")).toBe("fp8");
    expect(flag(command, "--kv-cache-dtype")).toBe("fp8");
    expect(has(command, "--enable-chunked-prefill")).toBe(true);
    expect(has(command, "--enable-expert-parallel")).toBe(false);
    expect(files).toEqual([]);
    expect(notes.join("\n")).toContain("--data-parallel-size 2");
  });

  it("bf16 sets the dtype and leaves the KV cache alone; no chunked prefill says so; ep > 1 turns on expert parallelism", () => {
    const pool: PoolSpec = { ...h100, precision: "bf16", tp: 2, ep: 2, batching: { ...h100.batching, chunkedPrefill: false } };
    const { command } = emit("vllm", pool, { model: "mixtral-8x7b" });
    expect(flag(command, "--dtype")).toBe("bfloat16");
    expect(has(command, "--kv-cache-dtype")).toBe(false);
    expect(has(command, "--quantization")).toBe(false);
    expect(has(command, "--no-enable-chunked-prefill")).toBe(true);
    expect(has(command, "--enable-expert-parallel")).toBe(true);
  });
});

describe("trtllm", () => {
  it("carries tp, pp, ep, batch, token budget and max sequence length; the YAML the scheduler and the KV cache", () => {
    const pool: PoolSpec = { ...h100, tp: 4, ep: 2, batching: { ...h100.batching, kvAdmission: "reserve" } };
    const { command, files } = emit("trtllm", pool, { model: "mixtral-8x7b" });
    expect(words(command)[0]).toBe("trtllm-serve");
    expect(flag(command, "--tp_size")).toBe("4");
    expect(flag(command, "--pp_size")).toBe("1");
    expect(flag(command, "--ep_size")).toBe("2");
    expect(flag(command, "--max_batch_size")).toBe("128");
    expect(flag(command, "--max_num_tokens")).toBe("4096");
    expect(flag(command, "--max_seq_len")).toBe(String(MAX_CONTEXT));
    const yamlName = flag(command, "--extra_llm_api_options");
    const yaml = files.find((f) => f.name === yamlName)?.contents ?? "";
    expect(yaml).toMatch(/^scheduler_config:\n {2}capacity_scheduler_policy: GUARANTEED_NO_EVICT$/m);
    expect(yaml).toMatch(/^enable_chunked_prefill: true$/m);
    expect(yaml).toMatch(/^kv_cache_config:\n {2}dtype: fp8\n {2}tokens_per_block: 32$/m);
  });

  it("on-demand admission is MAX_UTILIZATION; 16-bit weights keep the KV dtype auto", () => {
    const pool: PoolSpec = { ...h100, precision: "bf16", batching: { ...h100.batching, kvAdmission: "on-demand", chunkedPrefill: false } };
    const { command, files } = emit("trtllm", pool);
    expect(has(command, "--ep_size")).toBe(false);
    const yaml = files[0]!.contents;
    expect(yaml).toContain("capacity_scheduler_policy: MAX_UTILIZATION");
    expect(yaml).toMatch(/^enable_chunked_prefill: false$/m);
    expect(yaml).toMatch(/^ {2}dtype: auto$/m);
  });

  it("the KV fraction of free memory sizes the cache the plan simulated", () => {
    const { command } = emit("trtllm", h100);
    const fraction = Number(flag(command, "--kv_cache_free_gpu_memory_fraction"));
    const memory = predictServing(scenarioFor(h100), catalog, { seriesPoints: 1 }).report.pools[0]!.memory;
    const chip = catalog.chip("h100-sxm");
    const free =
      chip.hbmCapacityGB.value * 1e9 - chip.runtimeReservedGB.value * 1e9 - memory.weightBytesPerChip - memory.activationBytesPerChip;
    const exact = memory.kvBytesPerChip / free;
    expect(fraction).toBeLessThanOrEqual(exact);
    expect(fraction).toBeGreaterThan(exact - 0.01);
  });
});

describe("sglang", () => {
  it("carries tp, replicas as dp, ep, batch, chunk size, memory, page size, context length and fp8", () => {
    const pool: PoolSpec = { ...h100, tp: 2, ep: 2, replicas: 3 };
    const { command } = emit("sglang", pool, { model: "mixtral-8x7b" });
    expect(words(command).slice(0, 3)).toEqual(["python", "-m", "sglang.launch_server"]);
    expect(flag(command, "--model-path")).toBe("mistralai/Mixtral-8x7B-v0.1");
    expect(flag(command, "--tp-size")).toBe("2");
    expect(flag(command, "--dp-size")).toBe("3");
    expect(flag(command, "--ep-size")).toBe("2");
    expect(flag(command, "--max-running-requests")).toBe("128");
    expect(flag(command, "--chunked-prefill-size")).toBe("4096");
    expect(flag(command, "--mem-fraction-static")).toBe("0.85");
    expect(flag(command, "--page-size")).toBe("32");
    expect(flag(command, "--context-length")).toBe(String(MAX_CONTEXT));
    expect(flag(command, "--kv-cache-dtype")).toBe("fp8_e4m3");
    expect(flag(command, "--quantization")).toBe("fp8");
  });

  it("one replica has no --dp-size; chunked prefill off is -1", () => {
    const pool: PoolSpec = { ...h100, replicas: 1, batching: { ...h100.batching, chunkedPrefill: false } };
    const { command } = emit("sglang", pool);
    expect(has(command, "--dp-size")).toBe(false);
    expect(flag(command, "--chunked-prefill-size")).toBe("-1");
  });
});

describe("streamed chunks in the launch", () => {
  it("a plan streaming 10 tokens a chunk writes each engine's own setting; streaming every token writes none", () => {
    const chunked: PoolSpec = { ...h100, streamInterval: 10 };
    expect(flag(emit("vllm", chunked).command, "--stream-interval")).toBe("10");
    expect(flag(emit("sglang", chunked).command, "--stream-interval")).toBe("10");
    expect(emit("trtllm", chunked).files[0]!.contents).toMatch(/^stream_interval: 10$/m);
    expect(has(emit("vllm", h100).command, "--stream-interval")).toBe(false);
    expect(has(emit("sglang", h100).command, "--stream-interval")).toBe(false);
    expect(emit("trtllm", h100).files[0]!.contents).not.toMatch(/stream_interval/);
  });
});

describe("neuron", () => {
  const overrideOf = (command: string) => {
    const json = /--additional-config '([^']*)'/.exec(command)?.[1];
    expect(json).toBeDefined();
    return (JSON.parse(json!) as { override_neuron_config: Record<string, unknown> }).override_neuron_config;
  };
  const isPowerOfTwo = (n: number) => Number.isInteger(Math.log2(n));

  for (const [system, tp] of [
    ["trn2.48xlarge", 4],
    ["trn1.32xlarge", 8],
    ["inf2.48xlarge", 6],
  ] as const)
    it(`${system}, tp ${tp}: tp counted in NeuronCores (chips x the chip's logical cores)`, () => {
      const pool: PoolSpec = { ...trn2, system, tp };
      const cores = tp * catalog.chip(catalog.system(system).chip).logicalCoresPerChip!.value;
      const { command, files } = emit("neuron", pool);
      expect(flag(command, "--tensor-parallel-size")).toBe(String(cores));
      expect(overrideOf(command).tp_degree).toBe(cores);
      expect(JSON.parse(files.find((f) => f.name === "neuron_config.json")!.contents)).toEqual(overrideOf(command));
    });

  it("compiles the plan's batch and power-of-two buckets from 128 that cover the longest request", () => {
    const { command } = emit("neuron", trn2);
    const config = overrideOf(command);
    expect(flag(command, "--max-num-seqs")).toBe("64");
    expect(config.batch_size).toBe(64);
    expect(config.tkg_batch_size).toBe(64);
    expect(config.enable_bucketing).toBe(true);
    expect(config.is_continuous_batching).toBe(true);
    for (const [name, needed] of [
      ["context_encoding_buckets", 3000],
      ["token_generation_buckets", MAX_CONTEXT],
    ] as const) {
      const buckets = config[name] as number[];
      expect(buckets[0]).toBe(128);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBe(2 * buckets[i - 1]!);
      const top = buckets[buckets.length - 1]!;
      expect(isPowerOfTwo(top)).toBe(true);
      expect(top).toBeGreaterThanOrEqual(needed);
      expect(top / 2).toBeLessThan(needed);
    }
    const tkg = config.token_generation_buckets as number[];
    expect(config.seq_len).toBe(tkg[tkg.length - 1]);
    expect(flag(command, "--max-model-len")).toBe(String(config.seq_len));
    expect(config.max_context_length).toBe((config.context_encoding_buckets as number[]).at(-1));
    expect(Number(flag(command, "--max-num-batched-tokens"))).toBeGreaterThanOrEqual(config.seq_len as number);
  });

  it("the scenario's own buckets and compiled batch are what it compiles, as the plan simulated them", () => {
    // Prompts up to 3000 tokens, contexts up to 3500: the 4096 bucket holds both; 2048 is too short for a prompt.
    const pool: PoolSpec = { ...trn2, engine: "vllm-neuron", sequenceBuckets: [4096, 1024, 2048], compiledBatch: 96 };
    const { command, notes } = emit("neuron", pool);
    const config = overrideOf(command);
    expect(config.token_generation_buckets).toEqual([1024, 2048, 4096]);
    expect(config.context_encoding_buckets).toEqual([1024, 2048, 4096]);
    expect(config.max_context_length).toBe(4096);
    expect(config.seq_len).toBe(4096);
    // The decode graph runs 96 rows (the simulated step), though the plan admitted at most 64 requests.
    expect(config.batch_size).toBe(96);
    expect(config.tkg_batch_size).toBe(96);
    expect(flag(command, "--max-num-seqs")).toBe("96");
    expect(notes.join("\n")).toMatch(/admitted at most 64 requests at a time into a decode graph compiled for 96/);
    // Short prompts: only the buckets up to the one that holds the longest prompt encode context.
    const short = overrideOf(emit("neuron", pool, { traffic: { requests: 20, inputTokens: 900, outputTokens: 2000 } }).command);
    expect(short.context_encoding_buckets).toEqual([1024]);
    expect(short.token_generation_buckets).toEqual([1024, 2048, 4096]);
  });

  it("short requests still get one 128-token bucket; fp8 quantizes weights and the KV cache", () => {
    const { command } = emit("neuron", { ...trn2, precision: "fp8" }, { traffic: { requests: 20, inputTokens: 50, outputTokens: 20 } });
    const config = overrideOf(command);
    expect(config.context_encoding_buckets).toEqual([128]);
    expect(config.token_generation_buckets).toEqual([128]);
    expect(config.quantized).toBe(true);
    expect(config.quantization_dtype).toBe("f8e4m3");
    expect(config.kv_cache_quant).toBe(true);
  });
});

describe("attention data parallelism in the launch", () => {
  // Two attention ranks of tp 2 per replica: 4 GPUs a server, the experts over all four.
  const pool: PoolSpec = {
    system: "dgx-h100",
    precision: "bf16",
    tp: 2,
    attentionDp: 2,
    ep: 4,
    replicas: 1,
    batching: { policy: "continuous", maxBatch: 64 },
  };
  const over = { model: "qwen3-30b-a3b" };
  it("vllm: --data-parallel-size is the attention ranks, each over --tensor-parallel-size GPUs, experts over all", () => {
    const { command } = emit("vllm", pool, over);
    expect(flag(command, "--tensor-parallel-size")).toBe("2");
    expect(flag(command, "--data-parallel-size")).toBe("2");
    expect(has(command, "--enable-expert-parallel")).toBe(true);
  });
  it("sglang: --tp-size counts every GPU, --dp-size the attention ranks, with --enable-dp-attention", () => {
    const { command } = emit("sglang", pool, over);
    expect(flag(command, "--tp-size")).toBe("4");
    expect(flag(command, "--dp-size")).toBe("2");
    expect(has(command, "--enable-dp-attention")).toBe(true);
    expect(flag(command, "--ep-size")).toBe("4");
  });
  it("trtllm: tp_size counts every GPU and the options file turns on attention DP; tp 2 per rank is noted", () => {
    const { command, files, notes } = emit("trtllm", pool, over);
    expect(flag(command, "--tp_size")).toBe("4");
    expect(files[0]!.contents).toMatch(/^enable_attention_dp: true$/m);
    expect(notes.join("\n")).toMatch(/each attention rank on one GPU/);
  });
  it("every engine's first note names the attention ranks", () => {
    for (const engine of ["vllm", "sglang", "trtllm"] as const)
      expect(emit(engine, pool, over).notes[0]).toMatch(/tp 2 attention dp 2 ep 4/);
  });
});

describe("runtime mismatch", () => {
  const trn2: PoolSpec = { ...h100, system: "trn2.48xlarge", precision: "bf16" };
  const thrown = (f: () => unknown): UltrasimError => {
    try {
      f();
    } catch (e) {
      if (e instanceof UltrasimError) return e;
      throw e;
    }
    throw new Error("did not throw");
  };

  it("neuron for a GPU system is refused, naming the GPU engines", () => {
    const e = thrown(() => emit("neuron", h100));
    expect(e.where.field).toBe("--emit");
    expect(e.message).toContain("dgx-h100");
    expect(e.message).toContain("use vllm | trtllm | sglang");
  });

  for (const engine of ["vllm", "trtllm", "sglang"] as const)
    it(`${engine} for a Neuron system is refused, naming neuron`, () => {
      const e = thrown(() => emit(engine, trn2));
      expect(e.where.field).toBe("--emit");
      expect(e.message).toContain("trn2.48xlarge");
      expect(e.message).toContain("use neuron");
    });

  it("before planning: refused only when none of the systems could run the engine", () => {
    expect(() => checkLaunchEngine("neuron", ["p5.48xlarge", "trn2.48xlarge"], catalog)).not.toThrow();
    expect(thrown(() => checkLaunchEngine("neuron", ["p5.48xlarge", "dgx-b200"], catalog)).message).toContain("use vllm | trtllm | sglang");
    expect(thrown(() => checkLaunchEngine("sglang", ["trn2.48xlarge"], catalog)).message).toContain("use neuron");
  });

  it("every engine is registered with an emitter that runs", () => {
    expect(LAUNCH_ENGINES).toEqual(["vllm", "trtllm", "sglang", "neuron"]);
  });
});

describe("the model and its context", () => {
  it("a model without a Hugging Face source gets a placeholder the shell refuses to run unset; --model-path is quoted", () => {
    const pool: PoolSpec = { ...h100, precision: "bf16" };
    const placeholder = /^vllm serve (.*) \\$/m.exec(emit("vllm", pool, { model: "gpt3-175b" }).command)?.[1];
    expect(placeholder).toMatch(/^"\$\{MODEL_PATH:\?.*gpt3-175b.*\}"$/);
    const given = emit("vllm", pool, {}, "/models/my llama").command;
    expect(given).toContain("vllm serve '/models/my llama' \\");
  });

  it("a length with no upper bound: the longest simulated request; a trace: its longest", () => {
    const scenario = scenarioFor(h100, {
      traffic: { requests: 200, inputTokens: { distribution: "lognormal", mean: 800, sigma: 0.8 }, outputTokens: 100 },
    });
    const longest = Math.max(...scenarioRequests(scenario).map((r) => r.inputTokens + r.outputTokens));
    expect(contextNeeds(scenario).maxContextTokens).toBe(longest);
    const trace = [
      { arrivalSeconds: 0, inputTokens: 10, outputTokens: 5000 },
      { arrivalSeconds: 1, inputTokens: 4000, outputTokens: 10 },
    ];
    expect(contextNeeds(scenario, trace)).toMatchObject({ maxInputTokens: 4000, maxContextTokens: 5010 });
  });

  it("the planner's best deployment is what the launch carries", () => {
    const pool: PoolSpec = { ...h100, precision: "bf16", tp: 1, replicas: 1 };
    const scenario = scenarioFor(pool, { model: "llama3.1-8b", slo: { ttftSeconds: 2, tpotSeconds: 0.1 } });
    const best = planServing(scenario, catalog, { systems: ["dgx-h100"], maxChips: 4, tps: [1, 2], batches: [32, 64] }).find(
      (c) => c.meetsSlo,
    )!;
    const { command } = emitLaunch("vllm", best, scenario, catalog);
    expect(flag(command, "--tensor-parallel-size")).toBe(String(best.pool.tp));
    expect(flag(command, "--max-num-seqs")).toBe(String(best.pool.batching.maxBatch));
  });
});

describe("speculative decoding in the launch", () => {
  const mtp: PoolSpec = { ...h100, speculative: { method: "mtp", draftTokens: 3, acceptanceRate: 0.8 } };
  const draft: PoolSpec = {
    ...h100,
    speculative: { method: "draft-model", draftTokens: 4, acceptanceRate: 0.7, draftModel: "llama3.1-8b" },
  };

  it("vllm: --speculative-config carries the method and k (the draft model's id for draft-model)", () => {
    const config = (pool: PoolSpec) => {
      const command = emit("vllm", pool).command;
      // The JSON is one shell word, quoted: unquote it.
      const raw = flag(command, "--speculative-config")!;
      return JSON.parse(raw.replace(/^'|'$/g, "")) as Record<string, unknown>;
    };
    expect(config(mtp)).toEqual({ method: "mtp", num_speculative_tokens: 3 });
    expect(config(draft)).toEqual({ model: "llama3.1-8b", num_speculative_tokens: 4 });
    expect(flag(emit("vllm", h100).command, "--speculative-config")).toBeUndefined();
  });

  it("sglang: k steps, k + 1 draft tokens, one chain", () => {
    const { command } = emit("sglang", mtp);
    expect(flag(command, "--speculative-algorithm")).toBe("NEXTN");
    expect(flag(command, "--speculative-num-steps")).toBe("3");
    expect(flag(command, "--speculative-num-draft-tokens")).toBe("4");
    expect(flag(command, "--speculative-eagle-topk")).toBe("1");
  });

  it("trtllm: a speculative_config in the YAML; neuron: a note that it is not written", () => {
    const yaml = emit("trtllm", mtp).files[0]!.contents;
    expect(yaml).toMatch(/speculative_config:\n {2}decoding_type: MTP\n {2}num_nextn_predict_layers: 3/);
    const trn2Pool: PoolSpec = {
      system: "trn2.48xlarge",
      precision: "bf16",
      tp: 4,
      replicas: 1,
      batching: { policy: "continuous", maxBatch: 8 },
      speculative: { method: "draft-model", draftTokens: 4, acceptanceRate: 0.7, draftModel: "llama3.1-8b" },
    };
    expect(emit("neuron", trn2Pool).notes.some((n) => /speculative decoding .* is not written/.test(n))).toBe(true);
  });
});

describe("host overlap in the launch: each engine runs its host work as the plan simulated it", () => {
  const yamlOf = (launch: EmittedLaunch) => launch.files[0]!.contents;

  it("vllm: async scheduling is its default, so only a plan without it writes --no-async-scheduling", () => {
    expect(has(emit("vllm", h100).command, "--no-async-scheduling")).toBe(false);
    expect(has(emit("vllm", { ...h100, hostOverlap: false }).command, "--no-async-scheduling")).toBe(true);
  });

  it("vllm: a release before its async default runs without it unasked, so only a plan with it writes --async-scheduling", () => {
    const old: PoolSpec = { ...h100, engineVersion: "0.10.1" };
    for (const flag of ["--async-scheduling", "--no-async-scheduling"]) expect(has(emit("vllm", old).command, flag)).toBe(false);
    expect(has(emit("vllm", { ...old, hostOverlap: true }).command, "--async-scheduling")).toBe(true);
  });

  it("sglang: the overlap scheduler is its default, so only a plan without it writes --disable-overlap-schedule", () => {
    const pool: PoolSpec = { ...h100, engine: "sglang" };
    expect(has(emit("sglang", pool).command, "--disable-overlap-schedule")).toBe(false);
    expect(has(emit("sglang", { ...pool, hostOverlap: false }).command, "--disable-overlap-schedule")).toBe(true);
    // Before 0.4 SGLang had no overlap scheduler: nothing to turn off.
    expect(has(emit("sglang", { ...pool, engineVersion: "0.3.6" }).command, "--disable-overlap-schedule")).toBe(false);
  });

  it("trtllm: its fitted runs did not overlap, so the options file turns the PyTorch backend's overlap scheduler off", () => {
    const pool: PoolSpec = { ...h100, engine: "trtllm" };
    expect(yamlOf(emit("trtllm", pool))).toMatch(/^disable_overlap_scheduler: true$/m);
    expect(yamlOf(emit("trtllm", { ...pool, hostOverlap: true }))).not.toMatch(/disable_overlap_scheduler/);
  });

  it("neuron: --async-scheduling only where the plan simulated it", () => {
    expect(has(emit("neuron", trn2).command, "--async-scheduling")).toBe(false);
    expect(has(emit("neuron", { ...trn2, hostOverlap: true }).command, "--async-scheduling")).toBe(true);
  });
});

describe("prefix caching and routing in the launch", () => {
  it("writes the prefix cache as simulated for each engine, and a cache-aware plan's router", () => {
    expect(has(emit("vllm", h100).command, "--enable-prefix-caching")).toBe(true);
    const off = { ...h100, prefixCaching: false };
    expect(has(emit("vllm", off).command, "--no-enable-prefix-caching")).toBe(true);
    expect(has(emit("sglang", h100).command, "--disable-radix-cache")).toBe(false);
    expect(has(emit("sglang", off).command, "--disable-radix-cache")).toBe(true);
    const yaml = (launch: EmittedLaunch) => launch.files.map((f) => f.contents).join("\n");
    expect(yaml(emit("trtllm", h100))).toMatch(/enable_block_reuse: true/);
    expect(yaml(emit("trtllm", off))).toMatch(/enable_block_reuse: false/);
    // Two replicas routed cache-aware: start them behind SGLang's router with that policy.
    const aware = emit("vllm", { ...h100, routing: "cache-aware" }).notes.join("\n");
    expect(aware).toMatch(/sglang_router\.launch_router --policy cache_aware/);
    expect(emit("vllm", h100).notes.join("\n")).not.toMatch(/cache_aware/);
  });
});
