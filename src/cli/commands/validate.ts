// `ultrasim validate`: predict published runs and report the error.
import type { Command } from "commander";
import { TrainingCase } from "../../engine/catalog/scenario.js";
import { UltrasimError } from "../../engine/errors.js";
import { summarize, validateCases, type CaseResult } from "../../engine/validate/validation.js";
import { InferenceCase, validateInferenceCases } from "../../engine/validate/inference.js";
import { checkSchema, lineOf } from "../../node/loadInput.js";
import { readCasesFile } from "../../node/trainingScenario.js";
import { catalogFrom, print, printJson } from "../output.js";
import { renderInferenceValidation, renderValidation } from "../renderValidation.js";

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("predict published training runs and report the step-time error per case, per group and overall")
    .argument("<cases>", "a JSON array of cases in the format of ../shared/validation/README.md")
    .option("--json", "print the result as JSON")
    .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON)")
    .action((file: string, opts: { json?: boolean; catalog?: string[] }) => {
      const catalog = catalogFrom(opts.catalog);
      const { loaded, cases } = readCasesFile(file);
      const training: TrainingCase[] = [];
      const invalid: CaseResult[] = [];
      const inference: InferenceCase[] = [];
      cases.forEach((raw, i) => {
        const c = raw as Partial<TrainingCase>;
        if ((c.kind as string) === "inference") {
          inference.push(checkSchema<InferenceCase>(InferenceCase, loaded, raw, `${i}.`));
          return;
        }
        if (c.kind !== "training") return;
        try {
          training.push(checkSchema<TrainingCase>(TrainingCase, loaded, raw, `${i}.`));
        } catch (e) {
          if (!(e instanceof UltrasimError)) throw e;
          invalid.push({
            id: String(c.id ?? `#${i}`),
            group: String(c.group ?? "unknown"),
            systemId: String(c.system?.id ?? "?"),
            chips: Number(c.system?.chips ?? 0),
            predicted: null,
            measured: { stepSeconds: Number(c.measured?.stepSeconds ?? NaN) },
            errorPct: null,
            failure: e.describe(),
          });
        }
      });
      const report = validateCases(training, catalog);
      // Failures raised by the engine name a field of the case; say where the case is in the file.
      for (const r of report.cases) {
        if (!r.failure) continue;
        const index = cases.findIndex((c) => (c as TrainingCase).id === r.id);
        r.failure = `${file}:${lineOf(loaded, String(index))}: ${r.failure}`;
      }
      if (invalid.length) {
        report.cases.push(...invalid);
        for (const g of new Set(invalid.map((r) => r.group))) report.groups[g] = summarize(report.cases.filter((r) => r.group === g));
        report.summary = summarize(report.cases);
      }
      // Inference cases are predicted by the serving simulation, one error per measured metric.
      const inferenceReport = inference.length ? validateInferenceCases(inference, catalog) : null;
      if (opts.json) printJson(inferenceReport ? { ...report, inference: inferenceReport } : report);
      else
        print(
          [
            training.length || invalid.length ? renderValidation(report) : "",
            inferenceReport ? renderInferenceValidation(inferenceReport) : "",
          ]
            .filter(Boolean)
            .join("\n\n"),
        );
    });
}
