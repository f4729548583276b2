// Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer Models"), Table 5:
// eight iteration times on Selene (A100 80GB), with the layouts Calculon's llm-validation uses for
// them. Issue 15's bar: ultrasim's mean |error| below Calculon's 3.7 % and its max below 8.9 %.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { TrainingCase } from "../src/engine/catalog/scenario.js";
import { validateCases } from "../src/engine/validate/validation.js";
import { checkSchema } from "../src/node/loadInput.js";
import { readCasesFile } from "../src/node/trainingScenario.js";
import { readValidationFiles } from "../src/node/validationFiles.js";

const casesPath = fileURLToPath(new URL("../data/validation/korthikanti-2022-table5.json", import.meta.url));
const sharedPath = fileURLToPath(new URL("../../shared/validation/training.json", import.meta.url));

/** Calculon's own mean and max |error| on these eight cases (issue 15, its llm-validation run here). */
const CALCULON_MEAN_ABS_ERROR_PCT = 3.7;
const CALCULON_MAX_ABS_ERROR_PCT = 8.9;

describe("Korthikanti et al. 2022 Table 5 (data/validation/korthikanti-2022-table5.json)", () => {
  const { loaded, cases: raw } = readCasesFile(casesPath);
  // The same check `ultrasim validate` applies to each training case; it throws on the first bad field.
  const cases = raw.map((c, i) => checkSchema<TrainingCase>(TrainingCase, loaded, c, `${i}.`));
  // On Megatron-LM as of 2022, the group's framework (data/validation/groups.json).
  const report = validateCases(cases, builtinCatalog(), readValidationFiles([casesPath]).frameworkOf);
  const full = cases.filter((c) => c.parallelism.recompute === "full");
  const seqsel = cases.filter((c) => c.parallelism.recompute === "selective");

  it("holds the eight cases: four models, each with full recompute and with sequence parallelism + selective recompute", () => {
    expect(cases).toHaveLength(8);
    expect(new Set(cases.map((c) => c.id)).size).toBe(8);
    for (const c of cases) {
      expect(c.group, c.id).toBe("korthikanti_2022_table5");
      expect(c.system.id, c.id).toBe("dgx-a100-80gb");
    }
    expect(full.map((c) => c.model.name).sort()).toEqual(seqsel.map((c) => c.model.name).sort());
    expect(new Set(full.map((c) => c.model.name)).size).toBe(4);
    for (const c of full) expect(c.parallelism.sequenceParallel, c.id).toBe(false);
    for (const c of seqsel) expect(c.parallelism.sequenceParallel, c.id).toBe(true);
  });

  it("tp * pp * dp * cp = chips for every case", () => {
    for (const c of cases) {
      const { tp, pp, dp, cp } = c.parallelism;
      expect(tp * pp * dp * cp, c.id).toBe(c.system.chips);
    }
  });

  it("each model's two runs share model, batch and layout; only recompute, sequence parallelism and time differ", () => {
    for (const f of full) {
      const s = seqsel.find((c) => c.model.name === f.model.name)!;
      expect(s.model, f.id).toEqual(f.model);
      expect(s.run, f.id).toEqual(f.run);
      expect(s.system, f.id).toEqual(f.system);
      const layout = (c: TrainingCase) => ({ ...c.parallelism, recompute: null, sequenceParallel: null });
      expect(layout(s), f.id).toEqual(layout(f));
      // Table 5's point: the present work is faster than full recompute, by 29-32 % in throughput.
      const speedup = f.measured.stepSeconds / s.measured.stepSeconds;
      expect(speedup, f.id).toBeGreaterThan(1.28);
      expect(speedup, f.id).toBeLessThan(1.33);
    }
  });

  it("agrees with the same paper's cases in ../shared/validation/training.json, transcribed separately", () => {
    expect(existsSync(sharedPath)).toBe(true);
    const shared = (JSON.parse(readFileSync(sharedPath, "utf8")) as TrainingCase[]).filter(
      (c) => c.group === "megatron_selective_recompute",
    );
    expect(shared).toHaveLength(4);
    for (const s of seqsel) {
      const other = shared.find((c) => c.model.name === s.model.name)!;
      expect(other, s.id).toBeDefined();
      expect(s.model, s.id).toEqual(other.model);
      expect(s.system.chips, s.id).toBe(other.system.chips);
      expect(s.run.globalBatch, s.id).toBe(other.run.globalBatch);
      expect([s.parallelism.tp, s.parallelism.pp, s.parallelism.dp], s.id).toEqual([
        other.parallelism.tp,
        other.parallelism.pp,
        other.parallelism.dp,
      ]);
      // Those step times were derived from the Megatron-LM README's MFU, not from Table 5: an
      // independent check of the transcription, to the README's rounding of MFU to 0.1 %.
      expect(Math.abs(s.measured.stepSeconds / other.measured.stepSeconds - 1), s.id).toBeLessThan(0.005);
    }
  });

  it("predicts every case (none failed), each a finite positive step time", () => {
    const failures = report.cases.filter((r) => r.failure).map((r) => `${r.id}: ${r.failure}`);
    expect(failures).toEqual([]);
    expect(report.summary.failed).toBe(0);
    for (const r of report.cases) {
      expect(Number.isFinite(r.predicted!.stepSeconds), r.id).toBe(true);
      expect(r.predicted!.stepSeconds, r.id).toBeGreaterThan(0);
    }
  });

  const abs = report.cases.map((r) => Math.abs(r.errorPct ?? Infinity));
  const meanAbs = abs.reduce((a, b) => a + b, 0) / abs.length;
  const maxAbs = Math.max(...abs);

  // Met at stop 38 (mean 3.3 %, max 7.1 %) once the A100's NVLink collectives ran at the bus bandwidth measured
  // at training's message sizes (data/systems.json, measuredBusBandwidthGBps); 10.3 % and 23.4 % when issue 15 was filed.
  it(
    `mean |error| < ${CALCULON_MEAN_ABS_ERROR_PCT} % and max < ${CALCULON_MAX_ABS_ERROR_PCT} %, Calculon's figures`,
    () => {
      console.log(
        [
          "Korthikanti et al. 2022 Table 5: predicted vs published iteration time",
          ...report.cases.map(
            (r) =>
              `  ${r.id.padEnd(38)} measured ${r.measured.stepSeconds.toFixed(2).padStart(6)} s  predicted ${(r.predicted?.stepSeconds ?? NaN).toFixed(2).padStart(7)} s  error ${(r.errorPct ?? NaN).toFixed(1).padStart(6)} %`,
          ),
          `  mean |error| ${meanAbs.toFixed(1)} % (Calculon ${CALCULON_MEAN_ABS_ERROR_PCT} %), max |error| ${maxAbs.toFixed(1)} % (Calculon ${CALCULON_MAX_ABS_ERROR_PCT} %)`,
        ].join("\n"),
      );
      expect(meanAbs).toBeLessThan(CALCULON_MEAN_ABS_ERROR_PCT);
      expect(maxAbs).toBeLessThan(CALCULON_MAX_ABS_ERROR_PCT);
    },
  );
});
