// The planner, when the build has it: the best layouts for this model, system, chip count and batch,
// and the scaling curve from one scale-up domain upward. Both are long searches: they report
// progress and can be cancelled.
import * as Plot from "@observablehq/plot";
import { useMemo, useState } from "preact/hooks";
import type { TrainingScenario } from "../../../src/index.ts";
import { download, toCsv } from "../download.ts";
import { engine } from "../engine.ts";
import { EngineError } from "../engineClient.ts";
import { formatCount, formatGB, formatInteger, formatPercent, formatSeconds } from "../format.ts";
import { PLAN_TOP_K, type CatalogSummary, type PlanRow, type PlanSummary, type ScalingPoint } from "../protocol.ts";
import { PlotFigure } from "./PlotFigure.tsx";

const MAX_CHIPS = 1 << 20;

type Search = { what: "plan" | "scaling"; done: number } | null;

export function PlannerPanel({
  scenario,
  catalog,
  onUse,
}: {
  scenario: TrainingScenario;
  catalog: CatalogSummary;
  onUse: (s: TrainingScenario) => void;
}) {
  const [search, setSearch] = useState<Search>(null);
  const [plans, setPlans] = useState<PlanSummary | null>(null);
  const [curve, setCurve] = useState<ScalingPoint[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const run = async <T,>(what: "plan" | "scaling", request: Parameters<ReturnType<typeof engine>["request"]>[0], done: (v: T) => void) => {
    setSearch({ what, done: 0 });
    setMessage(null);
    try {
      const value = await engine().request(request, (fraction) => setSearch({ what, done: fraction })).result;
      done(value as T);
    } catch (e) {
      const err = e instanceof EngineError ? e : new EngineError(String(e), "INTERNAL");
      setMessage(err.code === "CANCELLED" ? "Search cancelled." : err.message);
    }
    setSearch(null);
  };

  const domain = catalog.systems.find((s) => s.id === scenario.system.id)?.chipsPerSystem ?? 8;
  const chipCounts: number[] = [];
  for (let n = domain; n <= MAX_CHIPS; n *= 2) chipCounts.push(n);

  const use = (row: PlanRow) =>
    onUse({
      ...structuredClone(scenario),
      parallelism: row.parallelism as TrainingScenario["parallelism"],
      run: { ...scenario.run, microBatch: row.microBatch },
    });

  const feasible = (curve ?? []).filter((p): p is { chips: number; best: PlanRow } => p.best !== null);
  const curveOptions = useMemo(
    () => ({
      height: 260,
      marginLeft: 60,
      x: { type: "log" as const, label: "chips →", grid: true },
      y: { type: "log" as const, label: "↑ tokens/s (best layout)", grid: true },
      marks: [
        Plot.line(feasible, { x: "chips", y: (d: { best: PlanRow }) => d.best.tokensPerSecond, stroke: "#1f77b4" }),
        Plot.dot(feasible, {
          x: "chips",
          y: (d: { best: PlanRow }) => d.best.tokensPerSecond,
          fill: "#1f77b4",
          title: (d: { chips: number; best: PlanRow }) =>
            `${formatInteger(d.chips)} chips: ${formatCount(d.best.tokensPerSecond)} tokens/s, MFU ${formatPercent(d.best.mfu)}`,
        }),
      ],
    }),
    [curve],
  );

  return (
    <section class="planner" aria-label="Planner">
      <h2>Planner</h2>
      <div class="downloads">
        <button
          type="button"
          disabled={search !== null}
          onClick={() => void run<PlanSummary>("plan", { kind: "plan", scenario, topK: PLAN_TOP_K }, setPlans)}
        >
          Find the best layouts
        </button>
        <button
          type="button"
          disabled={search !== null}
          onClick={() => void run<ScalingPoint[]>("scaling", { kind: "scaling", scenario, chips: chipCounts, topK: PLAN_TOP_K }, setCurve)}
        >
          Scaling curve ({formatInteger(domain)} to {formatInteger(chipCounts[chipCounts.length - 1] ?? domain)} chips)
        </button>
        {search && (
          <>
            <progress
              max={1}
              value={search.done}
              aria-label={`${search.what === "plan" ? "layout search" : "scaling curve"} progress`}
              data-testid="search-progress"
            />
            <span>{formatPercent(search.done)}</span>
            <button type="button" onClick={() => engine().cancelAll()} data-testid="cancel-search">
              Cancel
            </button>
          </>
        )}
      </div>
      {message && (
        <p class="note" role="status">
          {message}
        </p>
      )}
      {plans && (
        <>
          <p class="note">
            {formatInteger(plans.evaluated)} layouts evaluated, {formatInteger(plans.feasible)} fit;{" "}
            {Object.entries(plans.infeasible)
              .filter(([, n]) => n > 0)
              .map(([why, n]) => `${formatInteger(n)} ${why}`)
              .join(", ")}
            . {plans.runnerUpNote}
          </p>
          {plans.notes.map((note) => (
            <p class="note" role="note">
              {note}
            </p>
          ))}
          <table class="numbers" data-testid="plans-table">
            <caption>Top layouts for {formatInteger(scenario.system.chips)} chips</caption>
            <thead>
              <tr>
                <th scope="col">layout</th>
                <th scope="col">step</th>
                <th scope="col">tokens/s</th>
                <th scope="col">MFU</th>
                <th scope="col">memory</th>
                <th scope="col">costs most</th>
                <th scope="col">
                  <span class="sr-only">use</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {plans.plans.map((row) => (
                <tr>
                  <th scope="row">{row.layout}</th>
                  <td data-testid="plan-step-seconds" data-value={row.stepSeconds}>
                    {formatSeconds(row.stepSeconds)}
                  </td>
                  <td data-testid="plan-tokens-per-second" data-value={row.tokensPerSecond}>
                    {formatCount(row.tokensPerSecond)}
                  </td>
                  <td>{formatPercent(row.mfu)}</td>
                  <td>{formatGB(row.memoryBytes)}</td>
                  <td>{row.dominantCost}</td>
                  <td>
                    <button type="button" class="link" onClick={() => use(row)}>
                      use
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {curve && (
        <>
          <PlotFigure
            options={curveOptions}
            label={`Scaling curve: tokens per second of the best layout against chips, ${feasible.map((p) => `${p.chips} chips ${formatCount(p.best.tokensPerSecond)}`).join(", ")}`}
            testId="scaling-chart"
          />
          <table class="numbers" data-testid="scaling-table">
            <caption>
              The planner&apos;s best layout at each chip count (the same search as &ldquo;Find the best layouts&rdquo;), at a global batch
              of {formatInteger(scenario.run.globalBatch)}
            </caption>
            <thead>
              <tr>
                <th scope="col">chips</th>
                <th scope="col">layout</th>
                <th scope="col">tokens/s</th>
                <th scope="col">MFU</th>
              </tr>
            </thead>
            <tbody>
              {curve.map((p) => (
                <tr data-chips={p.chips}>
                  <th scope="row">{formatInteger(p.chips)}</th>
                  <td>{p.best ? p.best.layout : "no layout fits"}</td>
                  <td data-testid="scaling-tokens-per-second" data-value={p.best?.tokensPerSecond ?? ""}>
                    {p.best ? formatCount(p.best.tokensPerSecond) : "—"}
                  </td>
                  <td>{p.best ? formatPercent(p.best.mfu) : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <button
            type="button"
            onClick={() =>
              download(
                "ultrasim-scaling.csv",
                toCsv(
                  curve.map((p) => ({
                    chips: p.chips,
                    layout: p.best?.layout ?? "",
                    tokensPerSecond: p.best?.tokensPerSecond ?? "",
                    mfu: p.best?.mfu ?? "",
                    stepSeconds: p.best?.stepSeconds ?? "",
                  })),
                ),
                "text/csv",
              )
            }
          >
            Download CSV
          </button>
        </>
      )}
    </section>
  );
}
