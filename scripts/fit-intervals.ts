// Writes data/intervals.json: for each evidence class (src/engine/validate/intervals.ts), the 10th
// and 90th percentiles of log(measured / predicted) over the leave-one-group-out predictions of the
// open cases, as `validate --cross-validate` makes them, and over the predictions of the published
// runs kept here that no fit uses. Run it after a refit of the training
// calibration, the serving efficiencies or the engines' overheads (a few minutes here).
//   node dist/scripts/fit-intervals.js [--write]
import { readFileSync, writeFileSync } from "node:fs";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { crossValidateInference } from "../src/engine/calibrate/fitServingEngines.js";
import { caseEvidenceKey, crossValidate } from "../src/engine/calibrate/fitTraining.js";
import { inferenceResultEvidenceKey, moeByCase, predictInferenceCase, quickToPredict } from "../src/engine/validate/inference.js";
import { predictCase } from "../src/engine/validate/validation.js";
import {
  describeInferenceKey,
  describeTrainingKey,
  fitIntervalClass,
  inferenceEvidenceKey,
  intervalCoverage,
  type IntervalTable,
} from "../src/engine/validate/intervals.js";
import { readValidationFiles } from "../src/node/validationFiles.js";
import { scriptArgs } from "./scriptArgs.js";

const { values } = scriptArgs("node dist/scripts/fit-intervals.js [--write]", { write: { type: "boolean" } });

// The held-out fits start from the built calibration (dist/data): one older than data/ (a refit not
// yet built) gives ranges that belong to neither.
for (const file of ["calibration.json", "published-kernel-efficiency.json"]) {
  const built = readFileSync(new URL(`../data/${file}`, import.meta.url), "utf8");
  const source = readFileSync(new URL(`../../data/${file}`, import.meta.url), "utf8");
  if (JSON.stringify(JSON.parse(built)) !== JSON.stringify(JSON.parse(source))) {
    console.error(`data/${file} differs from the built copy in dist/data: run npm run build first`);
    process.exit(2);
  }
}

const LEVEL = 0.8;
const TRAINING = "../shared/validation/training.json";
const INFERENCE = ["../shared/validation/inference.json", "../shared/validation/neuron-inference.json"];
const catalog = builtinCatalog();

const training = readValidationFiles([TRAINING]);
const t0 = performance.now();
const cv = crossValidate(training.training, catalog, training.frameworkOf, { full: catalog.calibrationValues() });
console.log(`training held out: ${cv.cases.length} cases, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
const trainingPairs = cv.cases.map((r, i) => ({
  measured: r.measured.stepSeconds,
  predicted: r.predicted?.stepSeconds ?? NaN,
  key: cv.evidence[i]!,
}));

// Published runs kept in this repository that no fit uses and that share no run with the shared set
// (docs/validation.md): predicted on the full calibration, they are held out already. The AXLearn
// Trainium2 runs are the only evidence of kernels borrowed across a generation (Trainium1's fitted
// values on Trainium2), which is what every Trainium2, 3 and 4 prediction rests on.
const UNFITTED_TRAINING = ["data/validation/axlearn-trainium2-2025.json"];
const unfitted = readValidationFiles(UNFITTED_TRAINING);
for (const c of unfitted.training) {
  const r = predictCase(c, catalog, unfitted.frameworkOf(c));
  trainingPairs.push({
    measured: r.measured.stepSeconds,
    predicted: r.predicted?.stepSeconds ?? NaN,
    key: caseEvidenceKey(c, catalog, unfitted.frameworkOf(c)),
  });
}
console.log(`training not fitted: ${unfitted.training.length} cases (${UNFITTED_TRAINING.join(", ")})`);

const inference = readValidationFiles(INFERENCE);
const t1 = performance.now();
const icv = crossValidateInference(inference.inference, catalog, inference.engineOf);
console.log(`inference held out: ${icv.results.length} results, ${((performance.now() - t1) / 1000).toFixed(0)} s`);
const isMoe = moeByCase(inference.inference);
const inferencePairs = icv.results.map((r) => ({
  measured: r.measured,
  predicted: r.predicted ?? NaN,
  key: inferenceResultEvidenceKey(r, catalog, isMoe(r.id)),
}));

// Serving runs kept in this repository that no fit uses: InferenceX's DeepSeek-R1 runs are the only
// evidence of MoE serving on GPUs. As test/inferencexDeepseek.test.ts predicts them (quickToPredict).
const UNFITTED_INFERENCE = ["data/validation/inferencex-deepseek-r1-2026.json", "data/validation/nxdi-trainium2-2025.json"];
const unfittedServing = readValidationFiles(UNFITTED_INFERENCE);
const chosenServing = unfittedServing.inference.filter(quickToPredict);
for (const c of chosenServing)
  for (const r of predictInferenceCase(c, catalog, undefined, unfittedServing.engineOf))
    inferencePairs.push({
      measured: r.measured,
      predicted: r.predicted ?? NaN,
      key: inferenceResultEvidenceKey(r, catalog, !!c.model.moe),
    });
console.log(`inference not fitted: ${chosenServing.length} cases (${UNFITTED_INFERENCE.join(", ")})`);

const classes = [];
const trainingKeys = [...new Set(trainingPairs.map((p) => p.key))].sort();
for (const key of trainingKeys)
  classes.push(
    fitIntervalClass(
      key,
      describeTrainingKey(key),
      trainingPairs.filter((p) => p.key === key),
      LEVEL,
    ),
  );
for (const kernels of [...new Set(trainingKeys.map((k) => k.split("/")[1]))].sort()) {
  const key = `training/${kernels}/all`;
  classes.push(
    fitIntervalClass(
      key,
      describeTrainingKey(key),
      trainingPairs.filter((p) => p.key.startsWith(`training/${kernels}/`)),
      LEVEL,
    ),
  );
}
classes.push(fitIntervalClass("training/all", describeTrainingKey("training/all"), trainingPairs, LEVEL));
for (const key of [...new Set(inferencePairs.map((p) => p.key))].sort())
  classes.push(
    fitIntervalClass(
      key,
      describeInferenceKey(key),
      inferencePairs.filter((p) => p.key === key),
      LEVEL,
    ),
  );
for (const kindKey of [...new Set(inferencePairs.map((p) => p.key.split("/").slice(0, 3).join("/")))].sort()) {
  const key = `${kindKey}/all`;
  classes.push(
    fitIntervalClass(
      key,
      describeInferenceKey(key),
      inferencePairs.filter((p) => p.key.startsWith(`${kindKey}/`)),
      LEVEL,
    ),
  );
}
for (const metric of [...new Set(inferencePairs.map((p) => p.key.split("/")[1]!))].sort()) {
  const key = inferenceEvidenceKey(metric, null);
  classes.push(
    fitIntervalClass(
      key,
      describeInferenceKey(key),
      inferencePairs.filter((p) => p.key.startsWith(`inference/${metric}/`)),
      LEVEL,
    ),
  );
}
classes.push(fitIntervalClass("inference/all", describeInferenceKey("inference/all"), inferencePairs, LEVEL));

const table: IntervalTable = {
  level: LEVEL,
  source: `scripts/fit-intervals.ts: leave-one-group-out predictions of ${TRAINING} (${cv.cases.length} cases), predictions of the unfitted ${UNFITTED_TRAINING.join(", ")} (${unfitted.training.length}), ${INFERENCE.join(" + ")} held out and the unfitted ${UNFITTED_INFERENCE.join(", ")} (${inferencePairs.length} metric results in all)`,
  classes,
};
for (const c of classes)
  console.log(
    `${c.key.padEnd(36)} ${String(c.count).padStart(4)}  ${(100 * (Math.exp(c.logLow) - 1)).toFixed(0).padStart(5)}% .. +${(100 * (Math.exp(c.logHigh) - 1)).toFixed(0)}%  median |error| ${c.medianAbsErrorPct}%`,
  );
const covT = intervalCoverage(trainingPairs, table);
const covI = intervalCoverage(inferencePairs, table);
console.log(
  `coverage held out: training ${(100 * covT.fraction).toFixed(1)}% of ${covT.count}, inference ${(100 * covI.fraction).toFixed(1)}% of ${covI.count}`,
);
if (values.write) {
  writeFileSync(new URL("../../data/intervals.json", import.meta.url), JSON.stringify(table, null, 2) + "\n");
  console.log("wrote data/intervals.json");
}
