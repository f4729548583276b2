// `ultrasim serve`: simulate an inference deployment request by request; `ultrasim serve plan`:
// search layouts and hardware for the best one that meets an SLO.
import type { Command } from "commander";
import { fileURLToPath } from "node:url";
import { PRICE_KINDS, checkPrice, type PriceKind } from "../../engine/analytic/cost.js";
import { checkBound, checkWork } from "../../engine/bounds.js";
import { UltrasimError } from "../../engine/errors.js";
import { parseNumber } from "../../engine/flagSyntax.js";
import { FORCE_HELP, FORCE_OPTION, positiveNumber, wholeNumber } from "../numberOption.js";
import { LAUNCH_ENGINES, checkLaunchEngine, emitLaunch, isLaunchEngine, type EmittedLaunch } from "../../engine/serve/emit/index.js";
import {
  DEFAULT_SERVING_PLAN_MAX_CHIPS,
  SERVING_PLAN_OBJECTIVES,
  planServing,
  type ServingPlanObjective,
} from "../../engine/serve/plan.js";
import { predictServing } from "../../engine/serve/serve.js";
import { concurrencyCurve, curveLevelRequests, parseClientCounts } from "../../engine/serve/concurrencyCurve.js";
import { servingTrace } from "../../engine/serve/servingTrace.js";
import { locate } from "../../node/loadInput.js";
import { writeLaunchFiles } from "../../node/launchFiles.js";
import { writeOutputFile } from "../../node/outputFile.js";
import { loadServingScenario } from "../../node/servingScenario.js";
import { catalogFrom, print, printJson } from "../output.js";
import { progressReporter } from "../progress.js";
import { renderLaunch } from "../renderLaunch.js";
import { renderConcurrencyCurve, renderPlan, renderServing } from "../renderServing.js";

interface ServeOptions {
  json?: boolean;
  trace?: string;
  slo?: string;
  seed?: string;
  requests?: string;
  rate?: string;
  arrivals?: string;
  concurrency?: string;
  measure?: string;
  pps?: string;
  attentionDps?: string;
  engine?: string;
  engineVersion?: string;
  hostOverlap?: string;
  prefixCaching?: string;
  sharedPrefix?: string;
  routing?: string;
  conversation?: string;
  compiledBatch?: string;
  streamInterval?: string;
  expertImbalance?: string;
  requestTrace?: string;
  catalog?: string[];
  systems?: string;
  maxChips?: string;
  objective?: string;
  pue?: string;
  pricePerChipHour?: string;
  priceKind?: string;
  emit?: string;
  emitDir?: string;
  modelPath?: string;
  force?: boolean;
}

/** Flags that only `serve plan` reads: on a plain `serve` they would be accepted and do nothing. */
const PLAN_ONLY = {
  systems: "--systems",
  pps: "--pps",
  attentionDps: "--attention-dps",
  maxChips: "--max-chips",
  objective: "--objective",
} as const;

/** Each flag belongs to one mode: the plan's search flags to `serve plan`, the iteration trace to `serve`. */
function checkModeFlags(opts: ServeOptions, planning: boolean): void {
  const planOnly = (Object.keys(PLAN_ONLY) as (keyof typeof PLAN_ONLY)[]).find((k) => opts[k] !== undefined);
  if (!planning && planOnly)
    throw new UltrasimError("INVALID_INPUT", "searches deployments: use it with ultrasim serve plan <scenario>", {
      field: PLAN_ONLY[planOnly],
    });
  if (planning && opts.trace !== undefined)
    throw new UltrasimError(
      "INVALID_INPUT",
      "traces one simulated deployment: run ultrasim serve <scenario> --trace FILE on the planned deployment",
      { field: "--trace" },
    );
}

/** `--emit` and its companions: only with `serve plan`, and a known engine. */
function checkEmitFlags(opts: ServeOptions, planning: boolean): void {
  const given = (["emit", "emitDir", "modelPath"] as const).find((k) => opts[k] !== undefined);
  if (!given) return;
  const flag = { emit: "--emit", emitDir: "--emit-dir", modelPath: "--model-path" }[given];
  if (!planning)
    throw new UltrasimError(
      "INVALID_INPUT",
      "writes the launch of the best planned deployment: use it with ultrasim serve plan <scenario>",
      {
        field: flag,
      },
    );
  if (opts.emit === undefined)
    throw new UltrasimError("INVALID_INPUT", `goes with --emit <engine> (${LAUNCH_ENGINES.join(" | ")})`, { field: flag });
  if (!isLaunchEngine(opts.emit))
    throw new UltrasimError("INVALID_INPUT", `must be one of ${LAUNCH_ENGINES.join(" | ")}, got '${opts.emit}'`, { field: "--emit" });
}

/** A comma-separated list of whole numbers >= 1, for a search flag. */
function countList(text: string, flag: string): number[] {
  const values = text.split(",").map((x) => Number(x.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1 || v > 1024))
    throw new UltrasimError("INVALID_INPUT", `must be whole numbers from 1 to 1024, comma-separated, got '${text}'`, { field: flag });
  return [...new Set(values)];
}

function nonNegativeNumber(text: string, flag: string): number {
  const value = parseNumber(text);
  if (!Number.isFinite(value))
    throw new UltrasimError("INVALID_INPUT", `a price must be a number of dollars per chip-hour ≥ 0, got '${text}'`, { field: flag });
  return checkPrice(value, flag);
}

// dist/src/cli/commands/serve.js -> the package's examples/, so the default works from any directory.
const DEFAULT_SERVING_SCENARIO = fileURLToPath(new URL("../../../../examples/serve-llama3.3-70b-trn3.yaml", import.meta.url));

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description(
      "simulate an inference deployment: latency (TTFT, TPOT, end to end), throughput and goodput; `serve plan <scenario>` searches layouts",
    )
    .argument(
      "[scenario]",
      "serving scenario file, YAML or JSON (schema: schema/serving-scenario.json), or `plan`; default: the package's examples/serve-llama3.3-70b-trn3.yaml",
    )
    .argument("[planScenario]", "with `plan`: the scenario to plan for")
    .option("--json", "print the result as JSON")
    .option("--trace <file>", "write the iterations of every replica as a Chrome trace (open in Perfetto; not with plan)")
    .option("--slo <limits>", "latency SLO for goodput, e.g. ttft=2s,tpot=100ms,e2e=30s")
    .option("--seed <n>", "seed of the traffic generator")
    .option("--requests <n>", "number of requests to simulate")
    .option("--rate <perSecond>", "Poisson arrivals at this rate (requests/s)")
    .option(
      "--arrivals <process>",
      "how requests sent at a rate are spaced: poisson (default) | constant (evenly, as guidellm's constant rate)",
    )
    .option(
      "--concurrency <clients>",
      "a closed loop of this many clients, each sending its next request when its last completes; several, comma-separated (1,4,16,64), give the throughput-latency curve",
    )
    .option(
      "--measure <span>",
      "closed loop: the latencies of the steady state (default: the first and last rounds left out) or of the whole run (every request, as vLLM's benchmark_serving --max-concurrency reports): steady-state | whole-run",
    )
    .option(
      "--engine <id>",
      "the serving engine of every pool: vllm | trtllm | sglang | vllm-neuron | nxd-inference | transformers-neuronx | tgi-neuron (default: vllm on GPUs, vllm-neuron on Trainium and Inferentia)",
    )
    .option(
      "--engine-version <release>",
      "the engine's release, e.g. 0.10.1: where the engine changed its default scheduling at a release, the version picks it",
    )
    .option(
      "--host-overlap <on|off>",
      "whether the engine schedules the next step while this one runs (vLLM's async scheduling, SGLang's overlap scheduler); default: the engine's, by its version",
    )
    .option(
      "--prefix-caching <on|off>",
      "whether the engine keeps shared prompt prefixes' KV cache for later requests (vLLM's automatic prefix caching, SGLang's radix cache, TensorRT-LLM's block reuse); default: the engine's (on for vllm, sglang, trtllm; off on Neuron)",
    )
    .option(
      "--shared-prefix <tokens[:prefixes]>",
      "every prompt starts with one of PREFIXES (default 1) shared prefixes of TOKENS tokens, e.g. a 2000-token system prompt: 2000, or 8 of them: 2000:8",
    )
    .option(
      "--conversation <turns[:think]>",
      "each request starts a conversation of TURNS turns, each next question THINK seconds (default 0) after the last answer and sending the conversation so far, e.g. 4:5",
    )
    .option(
      "--routing <policy>",
      "how arriving requests pick a replica: least-loaded (default) | cache-aware (SGLang's router: to the replica their prefix went to, unless the load is out of balance)",
    )
    .option("--compiled-batch <n>", "static-shape engines (Neuron): the batch the decode graph executes")
    .option(
      "--stream-interval <tokens>",
      "tokens per streamed chunk (SGLang's --stream-interval, TensorRT-LLM's stream_interval): the first token reaches the client with the first chunk (default 1)",
    )
    .option(
      "--expert-imbalance <x>",
      "MoE with expert parallelism: tokens routed to the busiest expert-parallel rank over the mean (default 1: balanced)",
    )
    .option("--request-trace <file>", "replay requests from a CSV/JSONL trace (arrival time, input tokens, output tokens)")
    .option("--systems <ids>", "plan: systems to consider, comma-separated (default: the scenario's)")
    .option("--pps <list>", "plan: pipeline depths to search, e.g. 1,2,4 (default: the scenario's)")
    .option("--attention-dps <list>", "plan: attention data-parallel ranks per replica to search, e.g. 1,8 (default: the scenario's)")
    .option("--max-chips <n>", "plan: the most chips a deployment may use (default 64)")
    .option(
      "--objective <kind>",
      `plan: rank the deployments meeting the SLO by ${SERVING_PLAN_OBJECTIVES.join(" | ")} (most output tokens/s per chip, or fewest $ per 1M output tokens; default throughput)`,
    )
    .option("--pue <value>", "data-centre PUE (default: AWS's reported 1.15)")
    .option("--price-per-chip-hour <usd>", "override the price table: dollars per chip-hour")
    .option("--price-kind <kind>", `price to take from the table: ${PRICE_KINDS.join(" | ")}`)
    .option(
      "--emit <engine>",
      `plan: write the best deployment's launch configuration for ${LAUNCH_ENGINES.join(" | ")} (the command, and its config files)`,
    )
    .option("--emit-dir <dir>", "plan: with --emit, write the launch's files into this folder (made if missing) and print the command")
    .option(
      "--model-path <path>",
      "plan: with --emit, the checkpoint to load (default: the catalog's Hugging Face repo for the model, else a placeholder)",
    )
    .option("--catalog <files...>", "extra chips, systems and models (YAML/JSON)")
    .option(FORCE_OPTION, FORCE_HELP)
    .action((first: string | undefined, second: string | undefined, opts: ServeOptions) => {
      const planning = first === "plan";
      if (!planning && second !== undefined)
        throw new UltrasimError(
          "INVALID_INPUT",
          `one scenario at a time: '${second}' follows '${first}' (serve plan <scenario> plans one)`,
          {
            field: "scenario",
          },
        );
      checkModeFlags(opts, planning);
      checkEmitFlags(opts, planning);
      const given = planning ? second : first;
      const file = given ?? DEFAULT_SERVING_SCENARIO;
      const levels = opts.concurrency?.includes(",") ? parseClientCounts(opts.concurrency, "--concurrency") : null;
      if (levels && planning)
        throw new UltrasimError("INVALID_INPUT", "serve plan searches at one load: give one client count", { field: "--concurrency" });
      if (levels && opts.trace)
        throw new UltrasimError("INVALID_INPUT", "traces one run: give one client count with --trace", { field: "--concurrency" });
      const catalog = catalogFrom(opts.catalog);
      const { scenario, loaded, requests } = loadServingScenario(file, {
        slo: opts.slo,
        seed: opts.seed,
        requests: opts.requests,
        rate: opts.rate,
        arrivals: opts.arrivals,
        concurrency: levels ? String(levels[0]) : opts.concurrency,
        measure: opts.measure,
        engine: opts.engine,
        engineVersion: opts.engineVersion,
        hostOverlap: opts.hostOverlap,
        prefixCaching: opts.prefixCaching,
        sharedPrefix: opts.sharedPrefix,
        routing: opts.routing,
        conversation: opts.conversation,
        compiledBatch: opts.compiledBatch,
        streamInterval: opts.streamInterval,
        expertImbalance: opts.expertImbalance,
        trace: opts.requestTrace,
        force: opts.force,
      });
      // Said where the answer could be mistaken for the user's own scenario.
      const defaultNote =
        given === undefined
          ? [`no scenario given: the built-in default, ${scenario.name ?? "unnamed"} (examples/serve-llama3.3-70b-trn3.yaml)`]
          : [];
      try {
        if (opts.priceKind !== undefined && !(PRICE_KINDS as readonly string[]).includes(opts.priceKind))
          throw new UltrasimError("INVALID_INPUT", `must be one of ${PRICE_KINDS.join(", ")}, got '${opts.priceKind}'`, {
            field: "--price-kind",
          });
        const cost = {
          pue: opts.pue !== undefined ? positiveNumber(opts.pue, "--pue") : undefined,
          usdPerChipHour:
            opts.pricePerChipHour !== undefined ? nonNegativeNumber(opts.pricePerChipHour, "--price-per-chip-hour") : undefined,
          priceKind: opts.priceKind as PriceKind | undefined,
        };
        if (planning) {
          const maxChips = wholeNumber(opts.maxChips, "--max-chips") ?? DEFAULT_SERVING_PLAN_MAX_CHIPS;
          checkBound("chips", maxChips, "--max-chips");
          const objective = (opts.objective ?? "throughput") as ServingPlanObjective;
          if (!SERVING_PLAN_OBJECTIVES.includes(objective))
            throw new UltrasimError("INVALID_INPUT", `must be one of ${SERVING_PLAN_OBJECTIVES.join(", ")}, got '${opts.objective}'`, {
              field: "--objective",
            });
          if (!scenario.deployment)
            throw new UltrasimError(
              "INVALID_INPUT",
              "serve plan searches colocated deployments: give the scenario a deployment (ultrasim serve simulates a disaggregated one)",
              { field: "disaggregated" },
            );
          const systems = opts.systems ? opts.systems.split(",").map((s) => s.trim()) : [scenario.deployment.system];
          // Blame an unknown system on where it came from: the flag, or the scenario's field.
          for (const system of systems) catalog.system(system, opts.systems ? "--systems" : "deployment.system");
          if (opts.emit !== undefined && isLaunchEngine(opts.emit)) checkLaunchEngine(opts.emit, systems, catalog);
          const progress = progressReporter("planning", true);
          const notes: string[] = [...defaultNote];
          const candidates = planServing(scenario, catalog, {
            onNote: (note) => notes.push(note),
            systems,
            maxChips,
            requests,
            objective,
            cost,
            pps: opts.pps !== undefined ? countList(opts.pps, "--pps") : undefined,
            attentionDps: opts.attentionDps !== undefined ? countList(opts.attentionDps, "--attention-dps") : undefined,
            onProgress: (done, total, system) => progress.update(done / total, `${done}/${total} shapes (${system})`),
          });
          progress.done();
          const best = candidates.find((c) => c.meetsSlo) ?? null;
          let emitted: (EmittedLaunch & { dir?: string; written?: string[] }) | undefined;
          if (opts.emit !== undefined && isLaunchEngine(opts.emit)) {
            if (!best)
              throw new UltrasimError(
                "INVALID_INPUT",
                "no deployment meets the SLO, so there is no launch to write: loosen --slo or raise --max-chips",
                {
                  field: "--emit",
                },
              );
            emitted = emitLaunch(opts.emit, best, scenario, catalog, { requests, modelPath: opts.modelPath });
            if (opts.emitDir !== undefined)
              emitted = { ...emitted, dir: opts.emitDir, written: writeLaunchFiles(opts.emitDir, emitted.files, "--emit-dir") };
          }
          if (opts.json) printJson({ objective, best, candidates, notes, ...(emitted ? { emitted } : {}) });
          else
            print(
              [
                renderPlan(candidates, objective),
                ...notes.map((n) => `note: ${n}`),
                ...(emitted
                  ? ["", renderLaunch(emitted, emitted.dir !== undefined ? { dir: emitted.dir, paths: emitted.written ?? [] } : undefined)]
                  : []),
              ].join("\n"),
            );
          return;
        }
        if (levels) {
          const perLevel = levels.map((c) => checkBound("requests", curveLevelRequests(scenario, c), "--concurrency"));
          checkWork(
            "requestsWork",
            perLevel.reduce((a, b) => a + b, 0),
            "--concurrency",
            opts.force ?? false,
            " over the curve's levels",
          );
          const progress = progressReporter("clients", true);
          const points = concurrencyCurve(scenario, catalog, levels, {
            cost,
            onProgress: (done, total) => progress.update(done / total, `${done}/${total} client counts`),
          });
          progress.done();
          if (opts.json) printJson({ scenario: scenario.name ?? null, notes: defaultNote, points });
          else print([renderConcurrencyCurve(points), ...defaultNote.map((n) => `assumed: ${n}`)].join("\n"));
          return;
        }
        const result = predictServing(scenario, catalog, { requests, recordIterations: Boolean(opts.trace), cost, capacity: true });
        if (opts.trace)
          writeOutputFile(opts.trace, JSON.stringify(servingTrace(result.records, result.report.pools, result.model.name)), "--trace");
        result.report.assumptions.push(...defaultNote);
        const assumptions = result.report.assumptions;
        if (opts.json) printJson(result.report);
        else
          print(
            [
              renderServing(result.report),
              ...assumptions.map((a) => `assumed: ${a}`),
              ...(opts.trace ? [`trace written to ${opts.trace} (open it at https://ui.perfetto.dev)`] : []),
            ].join("\n"),
          );
      } catch (e) {
        // An engine or compiled batch given as a flag applies to every pool: blame the flag, not the file.
        if (e instanceof UltrasimError && opts.engine !== undefined && e.where.field?.endsWith(".engine")) e.where.field = "--engine";
        if (e instanceof UltrasimError && !e.where.field?.startsWith("--")) locate(e, loaded);
        throw e;
      }
    });
}
