// Speculative decoding and MTP against hand derivations: Leviathan et al.'s tokens per step, the
// memory-bound gain at batch 1 and its loss at a compute-bound batch, alpha 0 never helping, seeded
// draws, output lengths kept exactly, the drafter's memory and the inputs' checks.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { UltrasimError } from "../src/engine/errors.js";
import { resolvePool } from "../src/engine/serve/deployment.js";
import type { PoolSpec, ServingScenario, SpeculativeSpec } from "../src/engine/serve/scenario.js";
import { predictServing } from "../src/engine/serve/serve.js";
import { simulateServing } from "../src/engine/serve/simulate.js";
import { expectedTokensPerStep, tokensPerStep } from "../src/engine/serve/speculative.js";
import { REPO, ultrasim } from "./cliHelpers.js";

const catalog = builtinCatalog();
const MTP: SpeculativeSpec = { method: "mtp", draftTokens: 3, acceptanceRate: 0.8 };

/** Llama 3.1 70B in bf16 on a DGX H100 at tp 4: decode reads 35 GB of weights per chip per step. */
const pool = (maxBatch: number, speculative?: SpeculativeSpec): PoolSpec => ({
  system: "dgx-h100",
  precision: "bf16",
  tp: 4,
  replicas: 1,
  batching: { policy: "continuous", maxBatch },
  ...(speculative ? { speculative } : {}),
});
const scenario = (maxBatch: number, requests: number, speculative?: SpeculativeSpec, seed = 5): ServingScenario => ({
  schemaVersion: 1,
  model: "llama3.1-70b",
  deployment: pool(maxBatch, speculative),
  traffic: { requests, inputTokens: 512, outputTokens: 256 },
  seed,
});
const tpot = (s: ServingScenario) => predictServing(s, catalog).report.latency.tpotSeconds!.mean;
/** TPOT without speculation over TPOT with it: above 1, speculation helps. */
const speedup = (maxBatch: number, requests: number, speculative: SpeculativeSpec) =>
  tpot(scenario(maxBatch, requests)) / tpot(scenario(maxBatch, requests, speculative));

describe("tokens per verify step (Leviathan et al. 2023, eq. 1)", () => {
  it("matches hand values of (1 - alpha^(k+1)) / (1 - alpha)", () => {
    // 0.8^5 = 0.32768, (1 - 0.32768) / 0.2 = 3.3616.
    expect(expectedTokensPerStep(0.8, 4)).toBeCloseTo(3.3616, 10);
    // 1 + 0.8 + 0.64 + 0.512 = 2.952.
    expect(expectedTokensPerStep(0.8, 3)).toBeCloseTo(2.952, 10);
    // 1 + 0.5 + 0.25 + 0.125 = 1.875.
    expect(expectedTokensPerStep(0.5, 3)).toBeCloseTo(1.875, 10);
    expect(expectedTokensPerStep(0, 5)).toBe(1);
  });

  it("draws 1 + a geometric count truncated at k, whose mean is the formula", () => {
    // Over an even grid of u the draw takes each value with its probability: P(1) = 1 - alpha,
    // P(j + 1) = alpha^j (1 - alpha) for j < k, P(k + 1) = alpha^k.
    const n = 200_000;
    const counts = [0, 0, 0, 0, 0, 0];
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const t = tokensPerStep((i + 0.5) / n, 0.8, 4);
      counts[t]!++;
      sum += t;
    }
    expect(counts[1]! / n).toBeCloseTo(0.2, 3);
    expect(counts[2]! / n).toBeCloseTo(0.16, 3);
    expect(counts[3]! / n).toBeCloseTo(0.128, 3);
    expect(counts[4]! / n).toBeCloseTo(0.1024, 3);
    expect(counts[5]! / n).toBeCloseTo(0.4096, 3);
    expect(sum / n).toBeCloseTo(3.3616, 3);
    expect(tokensPerStep(0.999, 0, 4)).toBe(1);
  });
});

describe("TPOT with speculation", () => {
  it("at batch 1 on a memory-bound decode, MTP (alpha 0.8, k 3) cuts TPOT by more than 1.8x", () => {
    // Hand reasoning: at batch 1 a decode step reads the 35 GB of weights per chip; verifying 4
    // tokens instead of 1 reads the same weights, and the MTP layer's 3 steps read one layer (0.43 GB)
    // and the LM head (0.53 GB) each, about 8% more. A step yields 2.952 tokens on average, so TPOT
    // falls about 2.95 / 1.08 = 2.7x; never by the whole 2.952, the verify step costs at least a decode step.
    const ratio = speedup(1, 16, MTP);
    expect(ratio).toBeGreaterThan(1.8);
    expect(ratio).toBeLessThan(expectedTokensPerStep(0.8, 3));
  });

  it("with alpha 0 never beats plain decoding, whatever the drafter or the batch", () => {
    // Every step then yields exactly the target's one token, and costs at least a plain step.
    for (const method of ["mtp", "eagle", "ngram"] as const)
      for (const batch of [1, 64]) expect(speedup(batch, batch, { method, draftTokens: 3, acceptanceRate: 0 })).toBeLessThan(1);
    expect(speedup(1, 1, { method: "draft-model", draftTokens: 3, acceptanceRate: 0, draftModel: "llama3.1-8b" })).toBeLessThan(1);
  });

  it("at a large compute-bound batch the gain shrinks, and a weak drafter makes TPOT rise", () => {
    // An H100 does 989 TFLOP/s of bf16 over 3.35 TB/s: a GEMM of m rows does m FLOPs per weight byte,
    // so past ~300 rows it is compute-bound. At 256 requests the GEMMs run 256 rows, near that ridge;
    // verifying k + 1 = 4 tokens each runs 1,024, well past it: several times the time for 2.952
    // tokens, where at batch 1 the extra rows cost nothing.
    const small = speedup(1, 16, MTP);
    const large = speedup(256, 256, MTP);
    expect(Math.abs(large - 1)).toBeLessThan(Math.abs(small - 1));
    // n-gram lookup at alpha 0.5 yields 1.875 tokens per step: nearly all of it at batch 1, where
    // the 4 rows cost what 1 does, but a loss at 256, where they cost nearly 4 times as much.
    const ngram: SpeculativeSpec = { method: "ngram", draftTokens: 3, acceptanceRate: 0.5 };
    expect(speedup(1, 16, ngram)).toBeGreaterThan(1.6);
    expect(speedup(256, 256, ngram)).toBeLessThan(1);
  });
});

describe("seeded acceptance draws", () => {
  it("the same seed gives the same report; another seed other draws on the same traffic", () => {
    // Fixed lengths, all queued at once: the traffic does not depend on the seed, only the draws do.
    const a = JSON.stringify(predictServing(scenario(8, 24, MTP, 11), catalog).report);
    const b = JSON.stringify(predictServing(scenario(8, 24, MTP, 11), catalog).report);
    expect(a).toBe(b);
    expect(tpot(scenario(8, 24, undefined, 11))).toBe(tpot(scenario(8, 24, undefined, 12)));
    expect(tpot(scenario(8, 24, MTP, 11))).not.toBe(tpot(scenario(8, 24, MTP, 12)));
  });
});

describe("output lengths", () => {
  it("no request generates more tokens than its output length, however many drafts are accepted", () => {
    const model = catalog.model("llama3.1-8b");
    const spec: PoolSpec = {
      system: "dgx-h100",
      precision: "bf16",
      tp: 1,
      replicas: 1,
      batching: { policy: "continuous", maxBatch: 16 },
      speculative: { method: "eagle", draftTokens: 7, acceptanceRate: 0.95 },
    };
    // Answers of 1 to 40 tokens: most end part-way through a step of up to 8 tokens.
    const requests = Array.from({ length: 40 }, (_, i) => ({ arrivalSeconds: 0, inputTokens: 100, outputTokens: i + 1 }));
    for (const kvAdmission of ["on-demand", "reserve"] as const) {
      const resolved = resolvePool({ ...spec, batching: { ...spec.batching, kvAdmission } }, "colocated", model, catalog, "deployment");
      const sim = simulateServing({ pools: [resolved.runtime], requests, maxContextTokens: Infinity, seed: 3 });
      for (let i = 0; i < requests.length; i++) {
        expect(Number.isNaN(sim.finishSeconds[i]!)).toBe(false);
        expect(sim.generatedTokens[i]).toBe(requests[i]!.outputTokens);
      }
    }
  });
});

describe("drafter memory", () => {
  it("a draft model's weights and KV cache come out of the target's KV capacity (hand count)", () => {
    const model = catalog.model("llama3.1-70b");
    const plain = resolvePool(pool(64), "colocated", model, catalog, "deployment").summary;
    const drafted = resolvePool(
      pool(64, { method: "draft-model", draftTokens: 4, acceptanceRate: 0.7, draftModel: "llama3.1-8b" }),
      "colocated",
      model,
      catalog,
      "deployment",
    ).summary;
    // Llama 3.1 8B in bf16 at tp 4: 16.06 GB / 4 = 4.015 GB per chip. Per token and chip the target
    // keeps 80 layers x 2 KV heads x 128 x 2 (K, V) x 2 B = 81,920 B, the draft 32 layers of the
    // same = 32,768 B.
    expect(drafted.speculative!.draftWeightBytesPerChip / 1e9).toBeCloseTo(4.015, 2);
    expect(drafted.speculative!.draftKvBytesPerTokenPerChip).toBe(32 * 2 * 128 * 2 * 2);
    const free = plain.memory.kvBytesPerChip - drafted.speculative!.draftWeightBytesPerChip;
    const tokens = Math.floor(Math.floor(free / (81_920 + 32_768)) / 16) * 16;
    expect(drafted.memory.tokens).toBe(tokens);
    expect(drafted.memory.tokens).toBeLessThan(plain.memory.tokens * (81_920 / (81_920 + 32_768)));
  });

  it("an MTP module adds one layer's weights and KV, not a second LM head", () => {
    const model = catalog.model("llama3.1-70b");
    const s = resolvePool(pool(64, MTP), "colocated", model, catalog, "deployment").summary.speculative!;
    // One Llama 3.1 70B layer: attention 8192 x (8192 + 2 x 1024) + 8192 x 8192 and MLP 3 x 8192 x
    // 28672, its two 8192 norms and the module's final norm, in bf16 over 4 chips.
    const layer = 8192 * (8192 + 2048) + 8192 * 8192 + 3 * 8192 * 28672 + 3 * 8192;
    expect(s.draftWeightBytesPerChip).toBeCloseTo((layer * 2) / 4, 0);
    expect(s.draftKvBytesPerTokenPerChip).toBe(2 * 128 * 2 * 2);
  });
});

describe("the report and the inputs", () => {
  it("the pool summary carries the settings and the expected tokens per step; the table shows them", () => {
    const r = predictServing(scenario(1, 1, MTP), catalog).report;
    expect(r.pools[0]!.speculative).toMatchObject({ method: "mtp", draftTokens: 3, acceptanceRate: 0.8, draftModel: null });
    expect(r.pools[0]!.speculative!.expectedTokensPerStep).toBeCloseTo(2.952, 10);
    expect(predictServing(scenario(1, 1), catalog).report.pools[0]!.speculative).toBeNull();
  });

  it("the CLI prints the speculative settings", () => {
    const out = ultrasim("serve", "examples/serve-llama3-70b-spec.yaml");
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(
      /speculative decoding \(draft-model, draft llama3\.1-8b\): k 4, acceptance 0\.7, 2\.77 tokens per verify step/,
    );
  });

  it("the Trainium2 example (NxD Inference's tutorial, a 1B draft of 7 tokens): decode at a fraction of the non-speculative step, the draft's prefill on top", () => {
    const run = (file: string) => JSON.parse(ultrasim("serve", file, "--json").stdout) as { latency: Record<string, { p50: number }> };
    const spec = run("examples/serve-llama3.3-70b-trn2-spec.yaml");
    // The same deployment without speculation.
    const plainFile = join(mkdtempSync(join(tmpdir(), "ultrasim-spec-")), "plain.yaml");
    writeFileSync(
      plainFile,
      readFileSync(join(REPO, "examples/serve-llama3.3-70b-trn2-spec.yaml"), "utf8").replace(/ {2}speculative:\n( {4}.*\n)+/, ""),
    );
    const plain = run(plainFile);
    // (1 - 0.82^8) / 0.18 = 4.42 tokens per verify step, a verify step of 8 tokens costing about one decode
    // step of 1 (weights read once) plus 7 draft steps of a 1B model: under half the plain TPOT.
    expect((1 - 0.82 ** 8) / 0.18).toBeCloseTo(4.42, 2);
    expect(spec.latency.tpotSeconds!.p50).toBeLessThan(plain.latency.tpotSeconds!.p50 / 2);
    // The draft model prefills the prompt too.
    expect(spec.latency.ttftSeconds!.p50).toBeGreaterThan(plain.latency.ttftSeconds!.p50);
  });

  const error = (speculative: SpeculativeSpec, role: "colocated" | "prefill" = "colocated"): UltrasimError => {
    try {
      resolvePool(pool(8, speculative), role, catalog.model("llama3.1-70b"), catalog, "deployment");
    } catch (e) {
      return e as UltrasimError;
    }
    throw new Error("no error");
  };
  it("names the field of a bad input", () => {
    const needs = error({ method: "draft-model", draftTokens: 3, acceptanceRate: 0.7 });
    expect(needs).toBeInstanceOf(UltrasimError);
    expect(needs.where.field).toBe("deployment.speculative.draftModel");
    expect(needs.message).toMatch(/draft-model needs draftModel/);
    const only = error({ method: "mtp", draftTokens: 3, acceptanceRate: 0.7, draftModel: "llama3.1-8b" });
    expect(only.where.field).toBe("deployment.speculative.draftModel");
    expect(only.message).toMatch(/for method draft-model only/);
    const tokenizer = error({ method: "draft-model", draftTokens: 3, acceptanceRate: 0.7, draftModel: "mixtral-8x7b" });
    expect(tokenizer.message).toMatch(/vocabulary of 32000, the target 128256/);
    expect(error({ method: "ngram", draftTokens: 3, acceptanceRate: 1 }).where.field).toBe("deployment.speculative.acceptanceRate");
    expect(error({ method: "ngram", draftTokens: 0, acceptanceRate: 0.5 }).where.field).toBe("deployment.speculative.draftTokens");
    expect(error({ method: "draft-model", draftTokens: 3, acceptanceRate: 0.5, draftModel: "nope" }).code).toBe("UNKNOWN_ID");
    expect(error(MTP, "prefill").message).toMatch(/give speculative on the decode pool/);
  });
});
