// Apple's AXLearn on 1,024 Trainium2 chips (Lee et al., arXiv 2507.05411): Llama 2 7B and 70B at 1.2 s
// and 11.2 s per iteration, with fuji.py's Trainium2 layout (FSDP across chips, tensor parallelism
// inside each chip) and its remat. Not fitted: the check from outside the shared set that issue 17
// asks for on published Trainium2 training runs (each within 25%).
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { TrainingCase } from "../src/engine/catalog/scenario.js";
import { validateCases } from "../src/engine/validate/validation.js";
import { checkSchema } from "../src/node/loadInput.js";
import { readCasesFile } from "../src/node/trainingScenario.js";
import { readValidationFiles } from "../src/node/validationFiles.js";
import groups from "../data/validation/groups.json" with { type: "json" };

const casesPath = fileURLToPath(new URL("../data/validation/axlearn-trainium2-2025.json", import.meta.url));
/** Issue 17's bar for published Trainium2 training runs: each within 25%. */
const TRAINIUM2_TRAINING_BAR_PCT = 25;

describe("AXLearn on 64 trn2.48xlarge (data/validation/axlearn-trainium2-2025.json)", () => {
  const { loaded, cases: raw } = readCasesFile(casesPath);
  const cases = raw.map((c, i) => checkSchema<TrainingCase>(TrainingCase, loaded, c, `${i}.`));
  const report = validateCases(cases, builtinCatalog(), readValidationFiles([casesPath]).frameworkOf);

  it("holds the paper's two Trainium2 runs, each as fuji.py lays it out: FSDP over 1,024 chips, 4M tokens a step", () => {
    expect(cases).toHaveLength(2);
    for (const c of cases) {
      expect(c.system, c.id).toEqual({ id: "trn2.48xlarge", chips: 1024 });
      const { tp, pp, dp, cp, zero } = c.parallelism;
      expect(tp * pp * dp * cp, c.id).toBe(c.system.chips);
      expect(zero, c.id).toBe(3);
      // fuji v2: TOKENS_PER_BATCH 4 x 1024^2 at MAX_SEQUENCE_LENGTH 4,096.
      expect(c.run.globalBatch * c.run.seqLen, c.id).toBe(4 * 1024 ** 2);
      expect(c.framework, c.id).toBe("axlearn");
    }
    expect(groups.axlearn_trainium2_paper.software).toBe("axlearn");
  });

  it("predicts both, on Trainium1's kernels and AXLearn's priors", () => {
    expect(report.summary.count).toBe(2);
    expect(report.summary.failed).toBe(0);
    for (const r of report.cases) expect(r.predicted!.stepSeconds, r.id).toBeGreaterThan(0);
  });

  // KNOWN MISS (issue 17): both runs are predicted too fast, by 31% (7B) and 27% (70B), on Trainium1's
  // fitted kernels; docs/model.md, "Trainium2 from outside the open set".
  it.fails(`each run within ${TRAINIUM2_TRAINING_BAR_PCT}% (issue 17's bar on published Trainium2 training)`, () => {
    for (const r of report.cases) expect(Math.abs(r.errorPct!), r.id).toBeLessThanOrEqual(TRAINIUM2_TRAINING_BAR_PCT);
  });
});
