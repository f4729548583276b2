// Prefix caching (serve/prefixCache.ts): a prompt's shared prefix is computed once per replica and its
// whole KV blocks reused by later requests with the same prefix, the prompt's last token always
// computed; unheld cached prefixes are evicted least recently used first when a request needs room.
// Counts derived by hand from the request lengths and the 16-token blocks.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { UltrasimError } from "../src/engine/errors.js";
import { resolvePool } from "../src/engine/serve/deployment.js";
import { BUILTIN_SERVING_ENGINES } from "../src/engine/serve/engines.js";
import type { PoolSpec, RequestSpec, ServingScenario } from "../src/engine/serve/scenario.js";
import { predictServing } from "../src/engine/serve/serve.js";
import { conversationRequests } from "../src/engine/serve/traffic.js";
import { simulateServing, type SimulationResult } from "../src/engine/serve/simulate.js";
import { STACK, ultrasim } from "./cliHelpers.js";

const catalog = builtinCatalog();
const model = catalog.model("llama3.1-8b");

function pool(prefixCaching: boolean, maxBatch = 1, extra: Partial<PoolSpec> = {}) {
  const spec: PoolSpec = {
    system: "dgx-h100",
    precision: "bf16",
    tp: 1,
    replicas: 1,
    batching: { policy: "continuous", maxBatch },
    engine: "vllm",
    prefixCaching,
    ...extra,
  };
  return resolvePool(spec, "colocated", model, catalog, "deployment").runtime;
}

/** Requests all queued at time 0, request i with prompt `inputs[i]`, prefix group `groups[i]` of `prefix` tokens. */
function requests(inputs: number[], groups: number[], prefix: number, output = 4): RequestSpec[] {
  return inputs.map((inputTokens, i) => ({
    arrivalSeconds: 0,
    inputTokens,
    outputTokens: output,
    prefixGroup: groups[i],
    prefixTokens: prefix,
  }));
}

function simulate(runtime: ReturnType<typeof pool>, rs: RequestSpec[]): SimulationResult {
  return simulateServing({ pools: [runtime], requests: rs, maxContextTokens: Infinity, seed: 1, recordIterations: true });
}

const ten = (x: number) => Array.from({ length: 10 }, () => x);

/** Llama 3.1 8B on two H100 replicas under vLLM, with this traffic. */
const onTwoH100s = (traffic: ServingScenario["traffic"]): ServingScenario & { deployment: PoolSpec } => ({
  schemaVersion: 1,
  model: "llama3.1-8b",
  deployment: { system: "dgx-h100", precision: "bf16", tp: 1, replicas: 2, batching: { policy: "continuous", maxBatch: 64 } },
  traffic,
});

describe("prefix caching", () => {
  it("computes a shared prefix once: ten 2,048-token prompts sharing 1,024 tokens prefill 2,048 + 9 x 1,024 tokens", () => {
    const rs = requests(ten(2048), ten(0), 1024);
    const on = simulate(pool(true), rs);
    const off = simulate(pool(false), rs);
    // Each request also decodes 3 tokens after the one its prompt's last position samples.
    expect(on.tokensProcessed[0]).toBe(2048 + 9 * 1024 + 10 * 3);
    expect(off.tokensProcessed[0]).toBe(10 * 2048 + 10 * 3);
    expect([...on.cachedTokens]).toEqual([0, ...Array.from({ length: 9 }, () => 1024)]);
    expect([...off.cachedTokens]).toEqual(ten(0));
  });

  it("shares whole blocks only, and always computes the prompt's last token", () => {
    // A 1,000-token prefix is 62 whole 16-token blocks (992 tokens); a 512-token prompt whose whole
    // text is the 1,000-token prefix's start can reuse 511 tokens: 31 blocks (496), not 32.
    const partial = simulate(pool(true), requests([2048, 2048], [0, 0], 1000));
    expect([...partial.cachedTokens]).toEqual([0, 992]);
    const whole = simulate(pool(true), requests([512, 512], [0, 0], 1000));
    expect([...whole.cachedTokens]).toEqual([0, 496]);
  });

  it("counts a shorter prompt's own blocks past the part of the prefix it uses", () => {
    // The first request leaves a 1,024-token prefix cached (64 blocks). The second, a 512-token prompt
    // that is all prefix, uses 496 tokens of it (31 blocks) and needs its own blocks for tokens 496 to
    // 515 (2 blocks): 64 + 2 in use while it decodes alone, the prefix held whole.
    const sim = simulate(pool(true), [
      { arrivalSeconds: 0, inputTokens: 2048, outputTokens: 4, prefixGroup: 0, prefixTokens: 1024 },
      { arrivalSeconds: 10, inputTokens: 512, outputTokens: 4, prefixGroup: 0, prefixTokens: 1024 },
    ]);
    expect(sim.cachedTokens[1]).toBe(496);
    expect(sim.records.at(-1)!.kvBlocksUsed).toBe(64 + 2);
  });

  it("prefills only the uncached suffix, attending the cached context: TTFT is that iteration's time", () => {
    const runtime = pool(true);
    const first = simulate(runtime, requests([2048], [0], 1024));
    // A second request arrives once the first has finished, and finds 1,024 tokens cached.
    const later = first.finishSeconds[0]! + 1;
    const sim = simulate(runtime, [
      { arrivalSeconds: 0, inputTokens: 2048, outputTokens: 4, prefixGroup: 0, prefixTokens: 1024 },
      { arrivalSeconds: later, inputTokens: 2048, outputTokens: 4, prefixGroup: 0, prefixTokens: 1024 },
    ]);
    // 1,024 new tokens, each attending the 1,024 cached keys and the new ones up to itself.
    const expected = runtime.iteration({
      prefillTokens: 1024,
      prefillAttendedKeys: 1024 * 1024 + (1024 * 1025) / 2,
      decodeTokens: 0,
      decodeContextTokens: 0,
      logitsTokens: 1,
    }).seconds;
    expect(sim.firstTokenSeconds[1]! - later).toBeCloseTo(expected, 12);
    const whole = runtime.iteration({
      prefillTokens: 2048,
      prefillAttendedKeys: (2048 * 2049) / 2,
      decodeTokens: 0,
      decodeContextTokens: 0,
      logitsTokens: 1,
    });
    expect(sim.firstTokenSeconds[0]).toBeCloseTo(whole.seconds, 12);
  });

  it("evicts the least recently used prefix no request holds when a request needs its blocks", () => {
    // Each request: a 2,048-token prompt and 4 answer tokens, 129 blocks at the end; its
    // prefix of 1,024 tokens is 64 of them. Prompts alternate between two prefixes.
    const alternating = requests(ten(2048), [0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 1024);
    // Room for one running request and one cached prefix less a block: each new request must evict
    // the other prefix, the one it would have hit next, so nothing is ever found.
    const tight = simulate({ ...pool(true), capacityBlocks: 129 + 63 }, alternating);
    expect([...tight.cachedTokens]).toEqual(ten(0));
    // Room for two: both prefixes stay; every request after the first two hits.
    const roomy = simulate({ ...pool(true), capacityBlocks: 2 * 129 }, alternating);
    expect([...roomy.cachedTokens]).toEqual([0, 0, ...Array.from({ length: 8 }, () => 1024)]);
    // Room for a missing request and one cached prefix, not two (256 < 129 + 2 x 64). Prefixes 0, 1,
    // 0 (a hit, so 0 is now the most recently used), 2 (must evict one: prefix 1, the least recently
    // used), 0 (still cached: a hit).
    const lru = simulate({ ...pool(true), capacityBlocks: 256 }, requests([2048, 2048, 2048, 2048, 2048], [0, 1, 0, 2, 0], 1024));
    expect([...lru.cachedTokens]).toEqual([0, 0, 1024, 0, 1024]);
  });

  it("never computes more prompt tokens than without it, and serves every request, under preemption and eviction", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ input: fc.integer({ min: 2, max: 3000 }), group: fc.integer({ min: 0, max: 3 }) }), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 200, max: 800 }),
        fc.integer({ min: 1, max: 16 }),
        (reqs, prefix, capacityBlocks, maxBatch) => {
          const rs = reqs.map((r, i) => ({
            arrivalSeconds: i * 0.01,
            inputTokens: r.input,
            outputTokens: 20,
            prefixGroup: r.group,
            prefixTokens: prefix,
          }));
          const on = simulate({ ...pool(true, maxBatch), capacityBlocks }, rs);
          const off = simulate({ ...pool(false, maxBatch), capacityBlocks }, rs);
          for (const sim of [on, off]) {
            for (let i = 0; i < rs.length; i++) {
              if (sim.rejected.has(i)) continue;
              expect(Number.isFinite(sim.finishSeconds[i]!)).toBe(true);
              expect(sim.generatedTokens[i]).toBe(20);
            }
            for (const r of sim.records) expect(r.kvBlocksUsed).toBeLessThanOrEqual(capacityBlocks);
            for (const r of sim.records) expect(r.kvBlocksUsed).toBeGreaterThanOrEqual(0);
          }
          for (let i = 0; i < rs.length; i++) expect(on.cachedTokens[i]).toBeLessThanOrEqual(Math.min(prefix, rs[i]!.inputTokens - 1));
          expect(on.rejected.size).toBe(off.rejected.size);
          const prompt = (s: SimulationResult) => s.records.reduce((a, r) => a + r.prefillTokens, 0);
          // Preemption recomputes prompts, in both runs alike; caching only ever takes tokens off.
          if (on.preemptions.every((p) => p === 0) && off.preemptions.every((p) => p === 0))
            expect(prompt(on)).toBeLessThanOrEqual(prompt(off));
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });

  it("is each engine's default as its source says: on for vLLM, SGLang and TensorRT-LLM, off for the Neuron engines", () => {
    const on = BUILTIN_SERVING_ENGINES.filter((e) => e.prefixCaching.value).map((e) => e.id);
    expect(on.sort()).toEqual(["sglang", "trtllm", "vllm"]);
    for (const e of BUILTIN_SERVING_ENGINES) expect(e.prefixCaching.source.length).toBeGreaterThan(40);
  });

  it("is refused on a static-shape engine, naming the field", () => {
    const spec: PoolSpec = {
      system: "trn2.48xlarge",
      precision: "bf16",
      tp: 1,
      replicas: 1,
      batching: { policy: "continuous", maxBatch: 8 },
      prefixCaching: true,
    };
    let error: unknown;
    try {
      resolvePool(spec, "colocated", model, catalog, "deployment");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UltrasimError);
    expect((error as UltrasimError).where.field).toBe("deployment.prefixCaching");
    // A static batch carries nothing from one fixed batch to the next: off, and the summary says why.
    const staticBatch = resolvePool(
      { system: "dgx-h100", precision: "bf16", tp: 1, replicas: 1, batching: { policy: "static", maxBatch: 8 }, engine: "vllm" },
      "colocated",
      model,
      catalog,
      "deployment",
    );
    expect(staticBatch.runtime.prefixCaching).toBe(false);
    expect(staticBatch.summary.prefixCaching.provenance).toMatch(/static batch/);
  });

  it("reports the share of prompt tokens found cached, and draws each request's prefix from the seed", () => {
    const scenario = onTwoH100s({
      requests: 400,
      arrival: { kind: "poisson", ratePerSecond: 10 },
      inputTokens: 3000,
      outputTokens: 100,
      sharedPrefix: { tokens: 2000, prefixes: 4 },
    });
    const r = predictServing(scenario, catalog).report;
    const pc = r.prefixCache!;
    expect(pc.promptTokens).toBe(r.requests.completed * 3000);
    expect(pc.hitRate).toBeCloseTo(pc.cachedTokens / pc.promptTokens, 12);
    // At most 2,000 of each 3,000-token prompt; at least one miss per prefix and replica (4 x 2).
    expect(pc.cachedTokens).toBeLessThanOrEqual((r.requests.completed - 8) * 2000);
    expect(pc.hitRate).toBeGreaterThan(0.5);
    const without = predictServing({ ...scenario, deployment: { ...scenario.deployment, prefixCaching: false } }, catalog).report;
    expect(without.prefixCache!.cachedTokens).toBe(0);
    expect(r.latency.ttftSeconds!.mean).toBeLessThan(without.latency.ttftSeconds!.mean);
    expect(r.assumptions.some((a) => a.includes("shared prefix"))).toBe(false);
    // A prefix longer than the 3,000-token prompts: each is all prefix but its last token, and the report says so.
    const long = predictServing({ ...scenario, traffic: { ...scenario.traffic, sharedPrefix: { tokens: 4000 } } }, catalog).report;
    expect(long.assumptions).toContain(
      "every prompt is no longer than the shared prefix of 4,000 tokens: such a prompt is all prefix but its last token",
    );
    // No shared prefix: nothing to report.
    expect(
      predictServing({ ...scenario, traffic: { ...scenario.traffic, sharedPrefix: undefined } }, catalog).report.prefixCache,
    ).toBeNull();
  });
});

describe("cache-aware routing (SGLang's router)", () => {
  const routed = (routing: "least-loaded" | "cache-aware", extra: Partial<PoolSpec> = {}) =>
    pool(true, 64, { replicas: 4, routing, ...extra });

  it("sends each prefix back to the replica it went to, so every replica's cache holds its own", () => {
    // Eight prefixes of 1,536 tokens (96 blocks) in turn, three rounds, each request done before the
    // next arrives; a replica holds a running request (129 blocks) and three cached prefixes, not more.
    const rs = Array.from({ length: 24 }, (_, i) => ({
      arrivalSeconds: i,
      inputTokens: 2048,
      outputTokens: 4,
      prefixGroup: i % 8,
      prefixTokens: 1536,
    }));
    const capacityBlocks = 129 + 2 * 96;
    const aware = simulate({ ...routed("cache-aware"), capacityBlocks }, rs);
    // An unmatched prompt goes to the replica whose record is smallest: prefixes 0..7 to replicas 0..3,
    // 0..3; then each matches (1,536 of 2,048 tokens, over the router's 0.5) where it went.
    expect([...aware.replicaOf]).toEqual(rs.map((_, i) => i % 4));
    expect([...aware.cachedTokens]).toEqual(rs.map((_, i) => (i < 8 ? 0 : 1536)));
    // Least-loaded: every request finds all replicas idle and goes to the first, whose cache cycles
    // through eight prefixes with room for three: never a hit.
    const plain = simulate({ ...routed("least-loaded"), capacityBlocks }, rs);
    expect([...plain.replicaOf]).toEqual(rs.map(() => 0));
    expect([...plain.cachedTokens]).toEqual(rs.map(() => 0));
  });

  it("routes to the idlest replica once the load is out of balance (more than 32 requests apart)", () => {
    // 100 requests of one prefix at once: 33 to the replica the prefix went to first, then, the load
    // out of balance, one to each idle replica, after which the three share the rest as holders of the
    // prefix (the least loaded first): 23, 22, 22.
    const sim = simulate(
      routed("cache-aware"),
      requests(
        Array.from({ length: 100 }, () => 2048),
        Array.from({ length: 100 }, () => 0),
        1536,
      ),
    );
    const counts = [0, 0, 0, 0];
    for (const r of sim.replicaOf) counts[r]!++;
    expect(counts).toEqual([33, 23, 22, 22]);
  });

  it("sends a new conversation away from the replica whose record has grown with another's history", () => {
    // Conversation 0 (two turns) goes to replica 0, its record there growing to the 1,100 tokens of its
    // history; conversation 1 starts later, matching nothing, and goes to the replica whose record is
    // smallest: replica 1, although both are idle (least-loaded would pick replica 0).
    const rs: RequestSpec[] = [
      { arrivalSeconds: 0, inputTokens: 1000, outputTokens: 100, prefixGroup: 0, prefixTokens: 0 },
      { arrivalSeconds: NaN, inputTokens: 2100, outputTokens: 100, prefixGroup: 0, prefixTokens: 1100, follows: 0, thinkSeconds: 1 },
      { arrivalSeconds: 100, inputTokens: 1000, outputTokens: 100, prefixGroup: 1, prefixTokens: 0 },
    ];
    const two = (routing: "least-loaded" | "cache-aware") => pool(true, 8, { replicas: 2, routing });
    expect([...simulate(two("cache-aware"), rs).replicaOf]).toEqual([0, 0, 1]);
    expect([...simulate(two("least-loaded"), rs).replicaOf]).toEqual([0, 0, 0]);
  });

  it("is least-loaded routing where prompts share no prefix", () => {
    const rs = Array.from({ length: 60 }, (_, i) => ({ arrivalSeconds: i * 0.02, inputTokens: 1000 + 37 * i, outputTokens: 50 }));
    const a = simulate(routed("cache-aware"), rs);
    const b = simulate(routed("least-loaded"), rs);
    expect([...a.replicaOf]).toEqual([...b.replicaOf]);
    expect([...a.finishSeconds]).toEqual([...b.finishSeconds]);
  });

  it("is refused on a decode pool, which takes its requests from the prefill pool", () => {
    expect(() =>
      resolvePool(
        {
          system: "dgx-h100",
          precision: "bf16",
          tp: 1,
          replicas: 2,
          batching: { policy: "continuous", maxBatch: 8 },
          routing: "cache-aware",
        },
        "decode",
        model,
        catalog,
        "disaggregated.decode",
      ),
    ).toThrow(/prefill pool/);
  });
});

describe("multi-turn conversations", () => {
  /** One conversation of three turns: new messages of 1,000 tokens, answers of 100, a second between. */
  const turns = (): RequestSpec[] =>
    conversationRequests(
      { requests: 1, arrival: { kind: "offline" }, inputTokens: 1000, outputTokens: 100 },
      { turns: 3, thinkSeconds: 1 },
      1,
    );

  it("sends each turn the conversation so far plus a new message, a think time after the last answer", () => {
    const rs = turns();
    expect(rs.map((r) => [r.inputTokens, r.outputTokens, r.prefixTokens, r.follows])).toEqual([
      [1000, 100, 0, undefined],
      [2100, 100, 1100, 0],
      [3200, 100, 2200, 1],
    ]);
    const sim = simulate(pool(true, 8), rs);
    expect(sim.arrivalSeconds[1]).toBeCloseTo(sim.finishSeconds[0]! + 1, 12);
    expect(sim.arrivalSeconds[2]).toBeCloseTo(sim.finishSeconds[1]! + 1, 12);
  });

  it("keeps a finished turn's context cached for the next: its whole blocks of computed keys and values", () => {
    // Turn 1 ends with 1,000 + 99 tokens in the cache (the last answer token is sampled, not yet
    // attended): 1,088 in whole blocks, all of turn 2's prefix of 1,100 that whole blocks can hold.
    // Turn 2 ends with 2,100 + 99: 2,192, turn 3's prefix of 2,200 in whole blocks.
    const on = simulate(pool(true, 8), turns());
    expect([...on.cachedTokens]).toEqual([0, 1088, 2192]);
    const prefill = (s: SimulationResult) => s.records.reduce((a, r) => a + r.prefillTokens, 0);
    expect(prefill(on)).toBe(1000 + (2100 - 1088) + (3200 - 2192));
    expect(prefill(simulate(pool(false, 8), turns()))).toBe(1000 + 2100 + 3200);
  });

  it("on a prefill pool keeps only the prompt: the answer was decoded on the decode pool", () => {
    const spec = (role: "prefill" | "decode") =>
      resolvePool(
        { system: "dgx-h100", precision: "bf16", tp: 1, replicas: 1, batching: { policy: "continuous", maxBatch: 8 }, engine: "vllm" },
        role,
        model,
        catalog,
        `disaggregated.${role}`,
      ).runtime;
    const sim = simulateServing({
      pools: [spec("prefill"), spec("decode")],
      requests: turns(),
      maxContextTokens: Infinity,
      kvTransferSeconds: () => 0.001,
      seed: 1,
    });
    // Turn 2 finds turn 1's 1,000-token prompt (992 in whole blocks); turn 3 turn 2's 2,100 (2,096).
    expect([...sim.cachedTokens]).toEqual([0, 992, 2096]);
  });

  it("goes on past a turn that cannot be served: the next is sent (and, longer still, refused too)", () => {
    const sim = simulateServing({ pools: [pool(true, 8)], requests: turns(), maxContextTokens: 2500, seed: 1 });
    expect(sim.rejected.has(0)).toBe(false);
    expect(sim.rejected.has(1)).toBe(false);
    expect(sim.rejected.has(2)).toBe(true);
    const once = simulateServing({ pools: [pool(true, 8)], requests: turns(), maxContextTokens: 2000, seed: 1 });
    expect([...once.rejected.keys()].sort()).toEqual([1, 2]);
    expect(Number.isFinite(once.finishSeconds[0]!)).toBe(true);
  });

  it("are reported as conversations, and refused beside a closed loop or a shared prefix, naming the field", () => {
    const scenario = onTwoH100s({
      requests: 40,
      arrival: { kind: "poisson", ratePerSecond: 2 },
      inputTokens: 500,
      outputTokens: 50,
      conversation: { turns: 3, thinkSeconds: 2 },
    });
    const r = predictServing(scenario, catalog).report;
    expect(r.traffic.conversations).toEqual({ conversations: 40, meanTurns: 3, thinkSeconds: 2 });
    expect(r.requests.total).toBe(120);
    expect(r.prefixCache!.hitRate).toBeGreaterThan(0);
    expect(r.capacity).toBeNull();
    for (const traffic of [
      { ...scenario.traffic, arrival: { kind: "closed-loop" as const, concurrency: 4 } },
      { ...scenario.traffic, sharedPrefix: { tokens: 100 } },
      // Turns without a bound: refused, as the requests would be.
      { ...scenario.traffic, conversation: { turns: { distribution: "lognormal" as const, mean: 4, sigma: 1 } } },
    ]) {
      let error: unknown;
      try {
        predictServing({ ...scenario, traffic }, catalog);
      } catch (e) {
        error = e;
      }
      expect((error as UltrasimError).where.field).toMatch(/^traffic\.conversation/);
    }
  });
});

describe("ultrasim serve --shared-prefix and --prefix-caching", () => {
  it("prints the share found cached and gives it in --json; bad values exit 2 naming the flag", () => {
    const args = ["serve", "examples/serve-llama3-70b-p5.yaml", "--requests", "300", "--shared-prefix", "800:2"];
    const table = ultrasim(...args);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/each prompt starts with one of 2 shared prefixes of 800 tokens/);
    expect(table.stdout).toMatch(/prefix cache\s*│\s*[\d.]+% of prompt tokens found cached/);
    const json = JSON.parse(ultrasim(...args, "--json").stdout);
    expect(json.traffic.sharedPrefix).toEqual({ tokens: 800, prefixes: 2 });
    expect(json.prefixCache.hitRate).toBeGreaterThan(0);
    expect(json.pools[0].prefixCaching.value).toBe(true);
    const off = JSON.parse(ultrasim(...args, "--prefix-caching", "off", "--json").stdout);
    expect(off.prefixCache.cachedTokens).toBe(0);
    const talk = JSON.parse(
      ultrasim("serve", "examples/serve-llama3-70b-p5.yaml", "--requests", "40", "--rate", "2", "--conversation", "3:4", "--json").stdout,
    );
    expect(talk.traffic.conversations).toEqual({ conversations: 40, meanTurns: 3, thinkSeconds: 4 });
    expect(talk.prefixCache.hitRate).toBeGreaterThan(0);
    // Each conversation brings its turns: 3,000 of up to 40 turns is over the work limit (100,000).
    const long = ultrasim("serve", "examples/serve-llama3-70b-p5.yaml", "--requests", "3000", "--conversation", "40");
    expect(long.code).toBe(2);
    expect(long.stderr).toContain("120,000 requests to simulate (3,000 conversations of up to 40 turns)");
    const aware = JSON.parse(ultrasim(...args, "--routing", "cache-aware", "--json").stdout);
    expect(aware.pools[0].routing).toBe("cache-aware");
    for (const [flag, value] of [
      ["--routing", "random"],
      ["--conversation", "4:-1"],
      ["--conversation", "0"],
      ["--shared-prefix", "800:2:3"],
      ["--shared-prefix", "0"],
      ["--prefix-caching", "maybe"],
    ]) {
      const bad = ultrasim(...args.slice(0, 4), flag!, value!);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(flag);
      expect(bad.stderr).not.toMatch(STACK);
    }
  });
});
