// AWS's NxD Inference tutorial on one trn2.48xlarge (Llama 3.3 70B, bf16, tp 64 logical cores = 16 chips,
// one request of 10,000 + 1,500 tokens at a time): a published Trainium2 serving run outside the open
// set, kept in data/validation/ and in no fit. Issue 17's bar for such runs: median |error| <= 20% on
// each metric. The case carries the sequence buckets its compile flags give (beyond format v2).
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { caseScenario, predictInferenceCase } from "../src/engine/validate/inference.js";
import { readValidationFiles } from "../src/node/validationFiles.js";
import groups from "../data/validation/groups.json" with { type: "json" };

const catalog = builtinCatalog();
const file = fileURLToPath(new URL("../data/validation/nxdi-trainium2-2025.json", import.meta.url));
const input = readValidationFiles([file]);
const [tutorial] = input.inference;
/** Issue 17's bar for published Trainium2 inference runs: median |error| on each metric. */
const TRAINIUM2_INFERENCE_BAR_PCT = 20;

describe("NxD Inference's Llama 3.3 70B tutorial on trn2.48xlarge (data/validation/nxdi-trainium2-2025.json)", () => {
  it("is read as its group's software ran it: NxD Inference, compiled batch 1, the tutorial's buckets", () => {
    expect(input.inference).toHaveLength(1);
    expect(groups.nxdi_trainium2_tutorials.software).toBe("nxd-inference");
    const s = caseScenario(tutorial!);
    expect(s.deployment).toMatchObject({ system: "trn2.48xlarge", engine: "nxd-inference", tp: 16, compiledBatch: 1 });
    // --enable-bucketing with --max-context-length 12288 and --seq-len 12800: powers of two, then the maxima.
    expect(s.deployment!.sequenceBuckets).toEqual([128, 256, 512, 1024, 2048, 4096, 8192, 12288, 12800]);
  });

  it("runs its 10,000-token prompt in the 12,288 bucket, not the default 16,384 one: a shorter TTFT", () => {
    const ttft = (c: typeof tutorial) => predictInferenceCase(c!, catalog).find((r) => r.metric === "ttftSeconds")!.predicted!;
    const withoutBuckets = { ...tutorial!, serving: { ...tutorial!.serving, sequenceBuckets: null } };
    expect(ttft(tutorial)).toBeLessThan(ttft(withoutBuckets));
  });

  it("refuses sequence buckets for an engine that runs dynamic shapes, naming the field", () => {
    const onGpu = { ...tutorial!, serving: { ...tutorial!.serving, backend: "vllm", compiledBatch: null } };
    expect(() => caseScenario(onGpu)).toThrow(/sequenceBuckets are for static-shape engines/);
  });

  // KNOWN MISS (issue 17): TTFT +22%, TPOT -17% (decode too fast, as issue 17 found), throughput +26%.
  it.fails(`median |error| <= ${TRAINIUM2_INFERENCE_BAR_PCT}% on each metric (issue 17's bar on published Trainium2 serving)`, () => {
    for (const r of predictInferenceCase(tutorial!, catalog))
      expect(Math.abs(r.errorPct!), `${r.metric}`).toBeLessThanOrEqual(TRAINIUM2_INFERENCE_BAR_PCT);
  });
});
