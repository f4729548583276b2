// Requests sent at a rate: Poisson (MLPerf's LoadGen) or evenly spaced (guidellm's constant profile),
// and which open groups ran which load generator (data/benchmark-clients.json).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import type { ServingScenario } from "../src/engine/serve/scenario.js";
import { predictServing } from "../src/engine/serve/serve.js";
import { generateRequests } from "../src/engine/serve/traffic.js";
import { benchmarkClientsProblems, kvAdmissionOf, rateArrivalsOf } from "../src/engine/validate/benchmarkClients.js";
import { caseScenario, type InferenceCase } from "../src/engine/validate/inference.js";
import { readValidationFiles } from "../src/node/validationFiles.js";

const catalog = builtinCatalog();

describe("constant-rate arrivals", () => {
  it("request i arrives at i / rate, whatever the seed", () => {
    const traffic = { requests: 5, arrival: { kind: "constant" as const, ratePerSecond: 4 }, inputTokens: 100, outputTokens: 10 };
    for (const seed of [1, 2]) expect(generateRequests(traffic, seed).map((r) => r.arrivalSeconds)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it("below capacity nobody waits, where a Poisson stream at the same rate queues", () => {
    // One replica of batch 1 serving 64-token answers: each request holds it for a fixed time T; at
    // 0.8 / T requests per second evenly spaced, each arrives after the last has left (TTFT = its own
    // prefill), while Poisson arrivals at the same load wait (M/D/1: 0.8 T / (2 (1 - 0.8)) = 2 T on average).
    const scenario = (kind: "constant" | "poisson", ratePerSecond: number): ServingScenario => ({
      schemaVersion: 1,
      model: "llama3.1-8b",
      deployment: { system: "dgx-h100", precision: "bf16", tp: 1, replicas: 1, batching: { policy: "continuous", maxBatch: 1 } },
      traffic: { requests: 400, arrival: { kind, ratePerSecond }, inputTokens: 256, outputTokens: 64 },
      seed: 3,
    });
    const alone = predictServing(
      { ...scenario("constant", 1e-3), traffic: { ...scenario("constant", 1e-3).traffic, requests: 3 } },
      catalog,
    ).report;
    const serviceSeconds = alone.latency.e2eSeconds!.mean;
    const rate = 0.8 / serviceSeconds;
    const even = predictServing(scenario("constant", rate), catalog).report;
    const poisson = predictServing(scenario("poisson", rate), catalog).report;
    expect(even.latency.ttftSeconds!.p99).toBeCloseTo(alone.latency.ttftSeconds!.mean, 9);
    expect(poisson.latency.ttftSeconds!.mean).toBeGreaterThan(alone.latency.ttftSeconds!.mean + serviceSeconds);
  });
});

describe("data/benchmark-clients.json", () => {
  const data: unknown = JSON.parse(readFileSync("data/benchmark-clients.json", "utf8"));

  it("is well formed, and every group names a listed client", () => {
    expect(benchmarkClientsProblems(data)).toEqual([]);
    const broken = { ...(data as object), groups: { g: { client: "nobody", source: "x" } } };
    expect(benchmarkClientsProblems(broken)).toEqual(["groups.g.client: 'nobody' is not a listed client"]);
  });

  it("guidellm's sweep spaces its rates evenly, MLPerf's LoadGen and any unlisted group as Poisson", () => {
    expect(rateArrivalsOf("optimum_neuron_vllm_trn2")).toBe("constant");
    expect(rateArrivalsOf("mlperf_inference")).toBe("poisson");
    expect(rateArrivalsOf("a group nobody listed")).toBe("poisson");
  });

  it("every listed group is an inference group (open, or kept in data/validation/), and a server case runs at its client's spacing", () => {
    const input = readValidationFiles(["../shared/validation/inference.json", "../shared/validation/neuron-inference.json"]);
    const kept = readValidationFiles(["data/validation/inferencex-deepseek-r1-2026.json", "data/validation/nxdi-trainium2-2025.json"]);
    const groups = new Set([...input.inference, ...kept.inference].map((c) => c.group));
    for (const g of Object.keys((data as { groups: object }).groups)) expect(groups.has(g), g).toBe(true);
    const server = (group: string) => input.inference.find((c: InferenceCase) => c.group === group && c.serving.mode === "server")!;
    const guidellm = server("optimum_neuron_vllm_trn2");
    expect(caseScenario(guidellm).traffic.arrival).toEqual({ kind: "constant", ratePerSecond: guidellm.serving.arrivalRatePerSecond });
    const mlperf = server("mlperf_inference");
    expect(caseScenario(mlperf).traffic.arrival).toEqual({ kind: "poisson", ratePerSecond: mlperf.serving.arrivalRatePerSecond });
  });

  it("MLPerf's Server runs held more requests than reserving each one's longest answer admits, so the group runs on demand", () => {
    // Little's law on each run's own figures: requests in flight = completed rate x mean latency, the
    // latency TTFT + (answer - 1) x TPOT. Reserving Llama 2 70B's max_new_tokens of 1,024 (the benchmark's
    // gen_kwargs) for each, before any prompt, needs more KV tokens than a replica's cache holds.
    const input = readValidationFiles(["../shared/validation/inference.json"]);
    const servers = input.inference.filter((c) => c.group === "mlperf_inference" && c.serving.mode === "server" && /llama2/.test(c.id));
    expect(servers.length).toBe(3);
    for (const c of servers) {
      const m = c.measured;
      const completedPerSecond = Number(/([0-9.]+) samples\/s/.exec((m as unknown as { published: string }).published)![1]);
      const answer = c.serving.dataset!.meanOutputTokens!;
      const inFlight = completedPerSecond * (m.ttftSeconds! + (answer - 1) * m.tpotSeconds!);
      const scenario = caseScenario(c, "trtllm");
      const pool = predictServing({ ...scenario, traffic: { ...scenario.traffic, requests: 8 } }, catalog).report.pools[0]!;
      expect((inFlight / c.serving.replicas) * 1024, c.id).toBeGreaterThan(pool.memory.tokens);
      expect(scenario.deployment!.batching.kvAdmission, c.id).toBe("on-demand");
    }
    expect(kvAdmissionOf("mlperf_inference")).toBe("on-demand");
    // TensorRT-LLM's own benchmark (trtllm-bench) keeps the engine's default reservation.
    expect(kvAdmissionOf("trtllm_perf_overview")).toBeNull();
    const bench = input.inference.find((c) => c.group === "trtllm_perf_overview")!;
    expect(caseScenario(bench, "trtllm").deployment!.batching.kvAdmission).toBeUndefined();
  });
});
