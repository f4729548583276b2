// `ultrasim validate`: predict published runs and report the error; with --cross-validate, the
// error on each group by a fit that never saw it.
import type { Command } from "commander";
import { crossValidateInference } from "../../engine/calibrate/fitServingEngines.js";
import { crossValidate } from "../../engine/calibrate/fitTraining.js";
import { summarize, validateCases } from "../../engine/validate/validation.js";
import { inferenceResultEvidenceKey, moeByCase, validateInferenceCases } from "../../engine/validate/inference.js";
import { intervalCoverage } from "../../engine/validate/intervals.js";
import { readValidationFiles } from "../../node/validationFiles.js";
import { catalogFrom, print, printJson } from "../output.js";
import { progressReporter } from "../progress.js";
import { renderCrossValidation, renderInferenceCrossValidation, renderInferenceValidation, renderValidation } from "../renderValidation.js";

const pct = (x: number | null | undefined) => (x == null ? "n/a" : `${x.toFixed(1)}%`);

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("predict published runs and report the error per case, per group and overall (held out with --cross-validate)")
    .argument(
      "<cases...>",
      "JSON arrays of cases in the format of ../shared/validation/README.md (groups.json beside a file names each group's software)",
    )
    .option(
      "--cross-validate",
      "refit with each source group held out in turn and report the held-out errors (training: the calibration; inference: the engines' host overheads)",
    )
    .option("--json", "print the result as JSON")
    .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON)")
    .action((files: string[], opts: { json?: boolean; catalog?: string[]; crossValidate?: boolean }) => {
      const catalog = catalogFrom(opts.catalog);
      const input = readValidationFiles(files, catalog.listFrameworks());
      // Each case is a whole prediction (a serving case a whole simulation): show progress on stderr.
      const cases = input.training.length + input.inference.length;
      const progress = progressReporter("validating", cases > 0);
      const report = validateCases(input.training, catalog, input.frameworkOf, (done) =>
        progress.update(done / cases, `${done}/${cases} cases`),
      );
      // Failures raised by the engine name a field of the case; say where the case is.
      report.cases.forEach((r, i) => {
        if (r.failure) r.failure = `${input.placeOf(input.training[i]!)}: ${r.failure}`;
      });
      if (input.invalid.length) {
        report.cases.push(...input.invalid);
        for (const g of new Set(input.invalid.map((r) => r.group))) report.groups[g] = summarize(report.cases.filter((r) => r.group === g));
        report.summary = summarize(report.cases);
      }
      // Inference cases are predicted by the serving simulation, one error per measured metric.
      const inferenceReport = input.inference.length
        ? validateInferenceCases(input.inference, catalog, {
            engineOf: input.engineOf,
            onProgress: (done) => progress.update((input.training.length + done) / cases, `${input.training.length + done}/${cases} cases`),
          })
        : null;
      progress.done();
      let crossValidation = null;
      if (opts.crossValidate && input.training.length) {
        const groups = progressReporter("cross-validating", true);
        crossValidation = crossValidate(input.training, catalog, input.frameworkOf, {
          full: catalog.calibrationValues(),
          onGroup: (group, done, total) => groups.update(done / total, group ? `holding out ${group}` : "done"),
        });
        groups.done();
      }
      let inferenceHeldOut = null;
      if (opts.crossValidate && input.inference.length) {
        const groups = progressReporter("cross-validating inference", true);
        inferenceHeldOut = crossValidateInference(input.inference, catalog, input.engineOf, (group, done, total) =>
          groups.update(done / total, group ? `holding out ${group}` : "done"),
        );
        groups.done();
      }
      // How often the measured value fell inside the 80% range printed beside each prediction (data/intervals.json).
      const isMoe = moeByCase(input.inference);
      const intervalCoverageOf = {
        ...(crossValidation
          ? {
              training: intervalCoverage(
                crossValidation.cases.map((r, i) => ({
                  measured: r.measured.stepSeconds,
                  predicted: r.predicted?.stepSeconds ?? null,
                  key: crossValidation!.evidence[i]!,
                })),
              ),
            }
          : {}),
        ...(inferenceHeldOut
          ? {
              inference: intervalCoverage(
                inferenceHeldOut.results.map((r) => ({
                  measured: r.measured,
                  predicted: r.predicted,
                  key: inferenceResultEvidenceKey(r, catalog, isMoe(r.id)),
                })),
              ),
            }
          : {}),
      };
      if (opts.json)
        printJson({
          ...(crossValidation || inferenceHeldOut
            ? {
                crossValidation: {
                  intervalCoverage: intervalCoverageOf,
                  ...(crossValidation
                    ? { summary: crossValidation.summary, groups: crossValidation.groups, cases: crossValidation.cases }
                    : {}),
                  ...(inferenceHeldOut
                    ? {
                        inference: {
                          summary: inferenceHeldOut.summary,
                          metrics: inferenceHeldOut.metrics,
                          groups: inferenceHeldOut.groups,
                          results: inferenceHeldOut.results,
                        },
                      }
                    : {}),
                },
              }
            : {}),
          ...report,
          ...(inferenceReport ? { inference: inferenceReport } : {}),
        });
      else
        print(
          [
            crossValidation ? renderCrossValidation(crossValidation) : "",
            input.training.length || input.invalid.length
              ? renderValidation(report, crossValidation ? "in sample (fitted on every group)" : undefined)
              : "",
            inferenceReport ? renderInferenceValidation(inferenceReport) : "",
            inferenceHeldOut ? renderInferenceCrossValidation(inferenceHeldOut) : "",
            Object.keys(intervalCoverageOf).length
              ? `80% ranges held out: ${Object.entries(intervalCoverageOf)
                  .map(([k, c]) => `${k} ${(100 * c.fraction).toFixed(1)}% of ${c.count} measured values inside`)
                  .join(", ")}`
              : "",
            inferenceHeldOut && inferenceReport
              ? `inference held out: median ${Object.entries(inferenceHeldOut.metrics)
                  .map(([m, x]) => `${m} ${pct(x.medianAbsErrorPct)}`)
                  .join(", ")}; in sample: ${Object.entries(inferenceReport.metrics)
                  .map(([m, x]) => `${m} ${pct(x.medianAbsErrorPct)}`)
                  .join(", ")}`
              : "",
            // The last line a reader sees: the held-out figure first, the in-sample one labelled.
            crossValidation && input.training.length
              ? `held out: median ${pct(crossValidation.summary.medianAbsErrorPct)}, p90 ${pct(crossValidation.summary.p90AbsErrorPct)} (what to expect on runs not in these files); in sample: median ${pct(report.summary.medianAbsErrorPct)}, p90 ${pct(report.summary.p90AbsErrorPct)}`
              : "",
          ]
            .filter(Boolean)
            .join("\n\n"),
        );
    });
}
