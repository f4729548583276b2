// The serving bar of issue #16, held out: every open inference case (format v1 and v2) predicted by
// engine host overheads fitted without its group. Throughput and TPOT meet the 15% held-out median;
// TTFT does not yet (KNOWN MISS, below), and the test says so rather than loosening the bar.
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { crossValidateInference, type InferenceCrossValidation } from "../src/engine/calibrate/fitServingEngines.js";
import { inferenceResultEvidenceKey, moeByCase, validateInferenceCases } from "../src/engine/validate/inference.js";
import { intervalCoverage } from "../src/engine/validate/intervals.js";
import { readValidationFiles } from "../src/node/validationFiles.js";
import { renderInferenceCrossValidation } from "../src/cli/renderValidation.js";

const FILES = ["../shared/validation/inference.json", "../shared/validation/neuron-inference.json"];
const catalog = builtinCatalog();
const input = readValidationFiles(FILES);
let heldOut: InferenceCrossValidation | null = null;
const held = () => (heldOut ??= crossValidateInference(input.inference, catalog, input.engineOf));

describe("open inference set, v1 and v2", () => {
  it("reads both files and predicts every case (none fails)", () => {
    expect(input.inference.length).toBeGreaterThanOrEqual(29 + 77);
    const r = validateInferenceCases(input.inference, catalog, { engineOf: input.engineOf });
    expect(r.results.filter((x) => x.failure)).toEqual([]);
  });

  it("held out: throughput and TPOT median |error| <= 15%", { timeout: 900_000 }, () => {
    const m = held().metrics;
    expect(m.outputTokensPerSecond!.medianAbsErrorPct!).toBeLessThanOrEqual(15);
    expect(m.tpotSeconds!.medianAbsErrorPct!).toBeLessThanOrEqual(15);
  });

  it("the 80% ranges hold 70-90% of the held-out measured values", { timeout: 900_000 }, () => {
    const coverage = intervalCoverage(
      held().results.map((r) => ({
        measured: r.measured,
        predicted: r.predicted,
        key: inferenceResultEvidenceKey(r, catalog, moeByCase(input.inference)(r.id)),
      })),
    );
    expect(coverage.count).toBeGreaterThanOrEqual(250);
    expect(coverage.fraction).toBeGreaterThanOrEqual(0.7);
    expect(coverage.fraction).toBeLessThanOrEqual(0.9);
  });

  // KNOWN MISS: TTFT held out is ~35% median: Trn1's SDK 2.18.0 long-prompt rows run 2.6x slower per
  // token than on Inferentia2, Neuron's prefill grows faster than linearly in the prompt (2.9x from
  // 1,024 to 2,048 tokens on 70B), and the vLLM-on-Neuron MoE runs miss by multiples;
  // docs/serving.md, "Known gaps".
  it.fails("held out: TTFT median |error| <= 15%", { timeout: 900_000 }, () => {
    expect(held().metrics.ttftSeconds!.medianAbsErrorPct!).toBeLessThanOrEqual(15);
  });
});

describe("the held-out table says what it refits", () => {
  it("engines per group; the chips' serving efficiencies are not, and it names the script that refits them", () => {
    const none = { count: 0, failed: 0, medianAbsErrorPct: null, p90AbsErrorPct: null, meanSignedErrorPct: null };
    const text = renderInferenceCrossValidation({ summary: none, metrics: {}, groups: {}, results: [] });
    expect(text).toMatch(/engine overheads fitted without it/);
    expect(text).toMatch(/serving efficiencies stay as fitted on every group/);
    expect(text).toMatch(/fit-serving-efficiency\.js --cross-validate/);
  });
});
