// Where a case's error comes from. For the training cases whose id contains one of the given strings:
// the predicted step and its breakdown (compute, exposed TP/CP/EP/PP/DP communication, bubble,
// optimizer). For the inference cases: each measured metric against its prediction, then one prompt's
// prefill iteration (padded to its bucket where shapes are static) and one decode step at the case's
// batch, each split into GEMMs, attention, communication, fixed device time and host time.
//   node dist/scripts/case-breakdown.js ../shared/validation/training.json deepseekv3
//   node dist/scripts/case-breakdown.js ../shared/validation/neuron-inference.json inf2-llama2-70b
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { predictTraining } from "../src/engine/analytic/trainingStep.js";
import { resolvePool } from "../src/engine/serve/deployment.js";
import type { IterationSeconds } from "../src/engine/serve/iterationTime.js";
import { scenarioRequests } from "../src/engine/serve/serve.js";
import { bucketOf } from "../src/engine/serve/simulate.js";
import { caseScenario, predictInferenceCase } from "../src/engine/validate/inference.js";
import { readValidationFiles } from "../src/node/validationFiles.js";

const [file, ...ids] = process.argv.slice(2);
const input = readValidationFiles([file!]);
const catalog = builtinCatalog();
const chosen = (id: string) => ids.some((i) => id.includes(i));

for (const c of input.training.filter((x) => chosen(x.id))) {
  const hw = catalog.hardware(c.system.id, {}, c.system.scaleOutGbpsPerChip, input.frameworkOf(c));
  const p = predictTraining({ model: c.model, hw, chips: c.system.chips, run: c.run, parallelism: c.parallelism });
  console.log(c.id, "measured", c.measured.stepSeconds, "predicted", p.stepSeconds.toFixed(3));
  console.log(JSON.stringify(p.breakdown));
}

const ms = (s: number) => `${(s * 1e3).toFixed(2)} ms`;
const parts = (it: IterationSeconds) =>
  `${ms(it.seconds)} = gemm ${ms(it.gemm)} + attention ${ms(it.attention)} + communication ${ms(it.communication)} + fixed ${ms(it.overhead)} + host ${ms(it.host)}`;

for (const c of input.inference.filter((x) => chosen(x.id))) {
  console.log(c.id);
  for (const r of predictInferenceCase(c, catalog, undefined, input.engineOf)) {
    const error = r.errorPct === null ? (r.failure ?? "no prediction") : `${r.errorPct >= 0 ? "+" : ""}${r.errorPct.toFixed(1)}%`;
    console.log(
      `  ${r.metric} (${r.statistic}): measured ${r.measured.toPrecision(4)}, predicted ${r.predicted?.toPrecision(4) ?? "-"} (${error})`,
    );
  }
  const scenario = caseScenario(c, input.engineOf(c));
  if (!scenario.deployment) {
    console.log("  (disaggregated: no single pool to break down)");
    continue;
  }
  // The pool as the simulation resolves it: its static buckets reach the longest context sent.
  const requests = scenarioRequests(scenario);
  const longest = Math.max(...requests.map((r) => r.inputTokens + r.outputTokens));
  const meanIn = requests.reduce((s, r) => s + r.inputTokens, 0) / requests.length;
  const meanOut = requests.reduce((s, r) => s + r.outputTokens, 0) / requests.length;
  const { runtime } = resolvePool(scenario.deployment, "colocated", c.model, catalog, "deployment", {}, undefined, longest);
  const shapes = runtime.staticShapes;
  const prompt = shapes ? bucketOf(shapes.buckets, Math.round(meanIn)) : Math.round(meanIn);
  const prefill = runtime.iteration({
    prefillTokens: prompt,
    prefillAttendedKeys: (prompt * (prompt + 1)) / 2,
    decodeTokens: 0,
    decodeContextTokens: 0,
    logitsTokens: 1,
    prefillCalls: shapes ? 1 : 0,
  });
  // A closed loop decodes about one row per client (each attention data-parallel rank its share).
  const clients =
    c.serving.mode === "concurrency" && c.serving.concurrency ? Math.ceil(c.serving.concurrency / (c.serving.attentionDp ?? 1)) : null;
  const rows = shapes ? shapes.compiledBatch : Math.min(clients ?? runtime.maxBatch, runtime.maxBatch);
  const context = shapes ? bucketOf(shapes.buckets, Math.round(meanIn + meanOut / 2)) : Math.round(meanIn + meanOut / 2);
  const decode = runtime.iteration({
    prefillTokens: 0,
    prefillAttendedKeys: 0,
    decodeTokens: rows,
    decodeContextTokens: rows * context,
    logitsTokens: rows,
  });
  console.log(`  prefill of one ${prompt}-token prompt: ${parts(prefill)}`);
  console.log(`  decode step, ${rows} rows at ${context} tokens of context: ${parts(decode)}`);
}
