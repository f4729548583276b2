// `ultrasim scale`: re-plan a model at each chip count of a scan and print the scaling curve.
import { Option, type Command } from "commander";
import { parseChipCounts } from "../../engine/plan/chipCounts.js";
import { scaleCurve, type BatchScaling } from "../../engine/scale/scaleCurve.js";
import { locatedIn } from "../../node/loadInput.js";
import { loadTrainingScenario, TRAINING_FLAGS } from "../../node/trainingScenario.js";
import { intervalOf, mapInterval, trainingEvidenceKey } from "../../engine/validate/intervals.js";
import { formatLikelyLine, formatSeconds } from "../format.js";
import { catalogFrom, print, printJson } from "../output.js";
import { progressReporter } from "../progress.js";
import { renderScale } from "../renderScale.js";
import { positiveNumber } from "../numberOption.js";

/** Sequences per step per system at the first point when --global-batch is not given (weak scaling). */
const DEFAULT_SEQUENCES_PER_SYSTEM = 16;
/** The default scan without a scenario file: one Trn3 UltraServer to a million chips. */
const FIRST_CHIPS = 144;
const LAST_CHIPS = 1_000_000;

export function registerScale(program: Command): void {
  program
    .command("scale")
    .description("re-plan a model at each chip count of a scan: tokens/s, MFU, step time and time to train")
    .argument("[scenario]", "a training scenario file: its model, system, chips, run and framework are used, its layout is ignored")
    .option("--model <id>", "model id (ultrasim catalog models)")
    .option("--system <id>", "system id (ultrasim catalog systems)")
    .option(
      "--chips <a..b>",
      `chip counts: a range, whole systems doubling from a to b (default: the file's chips..${LAST_CHIPS}, else ${FIRST_CHIPS}..${LAST_CHIPS})`,
    )
    .option(
      "--global-batch <n>",
      `sequences per step at the first chip count (default: the file's, else ${DEFAULT_SEQUENCES_PER_SYSTEM} per system)`,
    )
    .addOption(
      new Option("--batch-scaling <s>", "weak: the batch grows with the cluster; strong: one batch")
        .choices(["weak", "strong"])
        .default("weak"),
    )
    .option("--seq-len <n>", "sequence length in tokens")
    .option("--precision <p>", "fp16 | bf16 | fp8 | mxfp8 | nvfp4")
    .option("--expert-imbalance <x>", TRAINING_FLAGS.expertImbalance.help)
    .option("--framework <id>", "training framework (ultrasim catalog frameworks); default: the chip vendor's")
    .option("--tokens <n>", "tokens to train, e.g. 15e12", "15e12")
    .option("--json", "print the curve as JSON")
    .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON)")
    .action((file: string | undefined, opts: Record<string, string | boolean | string[] | undefined>) => {
      const str = (k: string) => (typeof opts[k] === "string" ? (opts[k] as string) : undefined);
      const { scenario, loaded, flagFields } = loadTrainingScenario(file, {
        model: str("model"),
        system: str("system"),
        seqLen: str("seqLen"),
        precision: str("precision"),
        expertImbalance: str("expertImbalance"),
        framework: str("framework"),
      });
      const catalog = catalogFrom(opts.catalog as string[] | undefined);
      // An unknown model, system or framework names the flag that gave it, or the file and line it came from.
      const { model, hw } = locatedIn(loaded, flagFields, () => ({
        model: typeof scenario.model === "string" ? catalog.model(scenario.model) : scenario.model,
        hw: catalog.hardwareFor(scenario),
      }));
      // A scenario file's cluster and batch are where the scan starts, unless the flags say otherwise.
      const chipsText = str("chips") ?? `${file ? scenario.system.chips : FIRST_CHIPS}..${LAST_CHIPS}`;
      const chips = parseChipCounts(chipsText, hw.system.chipsPerSystem);
      const batchText = str("globalBatch");
      const globalBatch = batchText
        ? positiveNumber(batchText, "--global-batch", true, "globalBatch")
        : file
          ? scenario.run.globalBatch
          : Math.max(1, Math.round((DEFAULT_SEQUENCES_PER_SYSTEM * chips[0]!) / hw.system.chipsPerSystem));
      const progress = progressReporter("planning", chips.length > 1);
      const curve = scaleCurve({
        model,
        hw,
        chips,
        globalBatch,
        batchScaling: opts.batchScaling as BatchScaling,
        seqLen: scenario.run.seqLen,
        precision: scenario.run.precision,
        expertLoadImbalance: scenario.run.expertLoadImbalance,
        tokens: positiveNumber(str("tokens")!, "--tokens", false, "trainingTokens"),
        onProgress: progress.update,
      });
      progress.done();
      // Every point rests on the same evidence: this chip's kernels, this model.
      const evidence = trainingEvidenceKey(catalog.efficiency(hw.chip.id, scenario.framework).basis, !!model.moe);
      const likelyOf = (p: (typeof curve.points)[number]) => {
        const step = p.stepSeconds === null ? null : intervalOf(p.stepSeconds, evidence);
        return {
          stepSeconds: step,
          timeToTrainSeconds: p.timeToTrainSeconds === null ? null : mapInterval(step, (s) => (p.timeToTrainSeconds! * s) / p.stepSeconds!),
        };
      };
      if (opts.json)
        printJson({
          ...curve,
          points: curve.points.map(({ plan, ...point }) => ({
            ...point,
            likely: likelyOf(point as (typeof curve.points)[number]),
            parallelism: plan?.parallelism ?? null,
            breakdownSeconds: plan?.prediction.breakdown ?? null,
          })),
        });
      else {
        const last = [...curve.points].reverse().find((p) => p.timeToTrainSeconds !== null);
        const range = last ? likelyOf(last).timeToTrainSeconds : null;
        print(
          [
            renderScale(curve),
            ...(last && range ? [formatLikelyLine(`time to train at ${last.chips} chips`, range, formatSeconds)] : []),
          ].join("\n"),
        );
      }
    });
}
