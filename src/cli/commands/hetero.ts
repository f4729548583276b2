// `ultrasim hetero`: a Trainium4 + GPU NVLink Fusion scenario against its alternatives.
import Table from "../fittedTable.js";
import type { Command } from "commander";
import { fileURLToPath } from "node:url";
import { UltrasimError } from "../../engine/errors.js";
import { compareHetero, HeteroScenario, type HeteroOption } from "../../engine/hetero/heteroComparison.js";
import { checkSchema, locate, readInputFile } from "../../node/loadInput.js";
import { checkServingBounds } from "../../node/inputBounds.js";
import { formatCount, formatPercent, formatSeconds } from "../format.js";
import { catalogFrom, print, printJson } from "../output.js";

// dist/src/cli/commands/hetero.js -> the package's examples/, so the default works from any directory.
const DEFAULT_SCENARIO = fileURLToPath(new URL("../../../../examples/trn4-rubin-fusion.json", import.meta.url));

export function registerHetero(program: Command): void {
  program
    .command("hetero")
    .description(
      "heterogeneous NVLink Fusion: a pipeline over two chip types against an even split and each type alone; split prefill/decode",
    )
    .argument(
      "[scenario]",
      "a heterogeneous scenario (JSON/YAML, schema/hetero-scenario.json); default: the package's examples/trn4-rubin-fusion.json",
    )
    .option("--json", "print the result as JSON")
    .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON)")
    .action((file: string | undefined, opts: { json?: boolean; catalog?: string[] }) => {
      const loaded = readInputFile(file ?? DEFAULT_SCENARIO);
      checkSchema(HeteroScenario, loaded);
      checkServingBounds(loaded, "serving.");
      let result;
      try {
        result = compareHetero(loaded.value, catalogFrom(opts.catalog));
      } catch (e) {
        if (e instanceof UltrasimError) throw locate(e, loaded);
        throw e;
      }
      if (opts.json) {
        printJson(result);
        return;
      }
      const table = new Table({
        head: [
          "training",
          "chips",
          "layers per stage",
          "step",
          "tokens/s",
          "MFU",
          "bubble",
          "imbalance",
          "accelerator kW",
          "tokens/s per kW",
        ],
        style: { head: [], border: [] },
      });
      const row = (o: HeteroOption) => [
        o.name,
        Object.entries(o.training.chipsByType)
          .map(([chip, n]) => `${n} ${chip}`)
          .join(" + "),
        o.training.stages.map((s) => s.layers).join("/"),
        formatSeconds(o.training.stepSeconds),
        formatCount(o.training.tokensPerSecond),
        formatPercent(o.training.mfu),
        formatPercent(o.training.bubbleFraction),
        formatSeconds(o.training.imbalanceSeconds),
        (o.acceleratorWatts / 1000).toFixed(1),
        formatCount(o.tokensPerSecondPerKilowatt),
      ];
      for (const o of [result.balanced, result.evenSplit, ...result.homogeneous]) table.push(row(o));
      const lines = [`NVLink Fusion domain ${result.domain}`, table.toString()];
      if (result.serving) {
        const ttft = (r: typeof result.serving.overFusion) => r.latency.ttftSeconds;
        const fusion = ttft(result.serving.overFusion);
        const efa = ttft(result.serving.overScaleOut);
        lines.push(
          `serving, prefill and decode on different chips: TTFT p90 ${fusion ? formatSeconds(fusion.p90) : "-"} with the KV cache over NVLink Fusion, ${efa ? formatSeconds(efa.p90) : "-"} over EFA` +
            (result.serving.ttftP90Ratio !== null ? ` (${result.serving.ttftP90Ratio.toFixed(2)}x)` : ""),
        );
      }
      for (const n of result.notes) lines.push(`note: ${n}`);
      print(lines.join("\n"));
    });
}
