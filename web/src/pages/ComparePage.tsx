// Compare: one workload on several systems side by side, at the scenario's layout on each or at each
// system's best (the planner, as `ultrasim compare`).
import * as Plot from "@observablehq/plot";
import { useMemo } from "preact/hooks";
import type { Comparison, TrainingScenario } from "../../../src/index.ts";
import { ComputeStatus, ErrorAlert } from "../components/Status.tsx";
import { PlotFigure } from "../components/PlotFigure.tsx";
import { ScenarioFiles } from "../components/ScenarioFiles.tsx";
import { ScenarioForm } from "../components/ScenarioForm.tsx";
import { download, toCsv } from "../download.ts";
import { BREAKDOWN_LABELS, formatCount, formatGB, formatPercent, formatSeconds } from "../format.ts";
import type { CatalogSummary, CompareRow, EngineRequest } from "../protocol.ts";
import { useLatestAnswer } from "../useLatestAnswer.ts";

/** The scenario's layout on every system, or each system's best layout (`ultrasim compare`). */
export type CompareLayouts = "same" | "best";

export function ComparePage({
  scenario,
  systems,
  catalog,
  onChange,
  onSystems,
  layouts,
  onLayouts,
}: {
  scenario: TrainingScenario;
  systems: string[];
  catalog: CatalogSummary;
  onChange: (s: TrainingScenario) => void;
  onSystems: (ids: string[]) => void;
  layouts: CompareLayouts;
  onLayouts: (layouts: CompareLayouts) => void;
}) {
  const request: EngineRequest = { kind: layouts === "best" ? "compareBest" : "compare", scenario, systems };
  // Each system's best layout is a search of seconds: a change of inputs stops the one running.
  const { answer, error, busy, progress, elapsedMs } = useLatestAnswer<EngineRequest, CompareRow[] | Comparison>(
    request,
    [scenario, systems.join(","), layouts],
    false,
    layouts === "best",
  );
  // An answer to the other mode's request (the mode just switched) is not shown as this one's.
  const rows = Array.isArray(answer) && layouts === "same" ? answer : null;
  const best = answer && !Array.isArray(answer) && layouts === "best" ? answer : null;

  const ok = (rows ?? []).filter((r) => r.report);
  const hasOperations = ok.some((r) => r.report!.energy !== null);
  const usd = (r: CompareRow) => r.report?.cost?.perMillionTokensUsd.value ?? null;
  const kwh = (r: CompareRow) => r.report?.energy?.perMillionTokens.kwh.value ?? null;
  const stacked = ok.flatMap((r) =>
    (Object.keys(BREAKDOWN_LABELS) as (keyof typeof BREAKDOWN_LABELS)[]).map((k) => ({
      system: r.system,
      part: BREAKDOWN_LABELS[k],
      seconds: r.report!.breakdownSeconds[k],
    })),
  );
  const options = useMemo(
    () => ({
      height: 60 + 34 * Math.max(1, ok.length),
      marginLeft: 150,
      x: { label: "seconds per step →", grid: true },
      y: { label: null, domain: ok.map((r) => r.system) },
      color: { legend: true, domain: Object.values(BREAKDOWN_LABELS), scheme: "tableau10" as const },
      marks: [
        Plot.barX(stacked, {
          x: "seconds",
          y: "system",
          fill: "part",
          title: (d: { system: string; part: string; seconds: number }) => `${d.system} ${d.part}: ${formatSeconds(d.seconds)}`,
        }),
      ],
    }),
    [rows],
  );
  const toggle = (id: string, on: boolean) =>
    onSystems(on ? [...systems, id].filter((v, i, a) => a.indexOf(v) === i) : systems.filter((s) => s !== id));
  const csvRows = () =>
    (rows ?? []).map((r) => ({
      system: r.system,
      chip: r.report?.system.chip ?? "",
      chips: r.report?.system.chips ?? "",
      framework: r.report?.framework ?? "",
      stepSeconds: r.report?.stepSeconds ?? "",
      tokensPerSecond: r.report?.tokensPerSecond ?? "",
      mfu: r.report?.mfu ?? "",
      memoryBytes: r.report?.memoryBytes.total ?? "",
      fits: r.report?.memoryBytes.fits ?? "",
      usdPerMillionTokens: usd(r) ?? "",
      kwhPerMillionTokens: kwh(r) ?? "",
      error: r.error ?? "",
    }));

  return (
    <div class="page-grid">
      <section class="inputs" aria-label="Inputs">
        <ScenarioForm scenario={scenario} catalog={catalog} onChange={onChange} hide={["system"]} layout={layouts === "same"} />
        <fieldset class="layouts">
          <legend>Layouts</legend>
          <label class="check">
            <input type="radio" name="layouts" checked={layouts === "same"} onChange={() => onLayouts("same")} />
            <span>this layout on each system</span>
          </label>
          <label class="check">
            <input type="radio" name="layouts" checked={layouts === "best"} onChange={() => onLayouts("best")} />
            <span>
              each system's best layout{" "}
              <small>
                (the planner, as <code>ultrasim compare</code>)
              </small>
            </span>
          </label>
        </fieldset>
        <fieldset class="systems">
          <legend>Systems</legend>
          {catalog.systems.map((s) => (
            <label class="check">
              <input
                type="checkbox"
                name={`system-${s.id}`}
                checked={systems.includes(s.id)}
                onChange={(e) => toggle(s.id, e.currentTarget.checked)}
              />
              <span>
                {s.name} <small>({s.id})</small>
              </span>
            </label>
          ))}
        </fieldset>
        <ScenarioFiles scenario={scenario} onImport={onChange} />
      </section>
      <section class="results" aria-label="Results" aria-busy={busy}>
        <ComputeStatus busy={busy} progress={progress} elapsedMs={elapsedMs} what={`${systems.length} systems computed`} />
        {layouts === "same" ? (
          <p class="note">
            The same model, batch, precision, chip count and layout on each system, under the framework named where it runs there, else the
            system's default.
            {!hasOperations && " Energy and $ are not in this build yet."}
          </p>
        ) : (
          <p class="note">
            Each system at the planner's best layout for this model, batch, precision and chip count (rounded to whole systems), under its
            default framework; ratios against {best?.baseline ?? "the baseline"}. The same as{" "}
            <code>ultrasim compare --systems {systems.join(",")}</code>.
          </p>
        )}
        <ErrorAlert error={error} />
        {best && <BestLayouts comparison={best} />}
        {rows && (
          <>
            <div class="table-scroll">
              <table class="numbers" data-testid="compare-table">
                <caption>Predicted step on each system</caption>
                <thead>
                  <tr>
                    <th scope="col">system</th>
                    <th scope="col">framework</th>
                    <th scope="col">step</th>
                    <th scope="col">tokens/s</th>
                    <th scope="col">MFU</th>
                    <th scope="col">memory per chip</th>
                    {hasOperations && <th scope="col">$ per 1M tokens</th>}
                    {hasOperations && <th scope="col">kWh per 1M tokens</th>}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr data-system={r.system}>
                      <th scope="row">{r.system}</th>
                      {r.report ? (
                        <>
                          <td data-testid="framework">{r.report.framework}</td>
                          <td data-testid="step-seconds" data-value={String(r.report.stepSeconds)}>
                            {formatSeconds(r.report.stepSeconds)}
                          </td>
                          <td data-value={String(r.report.tokensPerSecond)}>{formatCount(r.report.tokensPerSecond)}</td>
                          <td data-value={String(r.report.mfu)}>{formatPercent(r.report.mfu)}</td>
                          <td class={r.report.memoryBytes.fits ? "" : "bad"}>
                            {formatGB(r.report.memoryBytes.total)} / {formatGB(r.report.memoryBytes.capacity)}
                            {r.report.memoryBytes.fits ? "" : " (does not fit)"}
                          </td>
                          {hasOperations && <td>{usd(r) === null ? "no price" : `$${usd(r)!.toFixed(2)}`}</td>}
                          {hasOperations && <td>{kwh(r) === null ? "—" : kwh(r)!.toFixed(2)}</td>}
                        </>
                      ) : (
                        <td colSpan={hasOperations ? 7 : 5} class="bad">
                          {r.error}
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {ok
              .filter((r) => r.changes.length > 0)
              .map((r) => (
                <p class="note" data-testid="scenario-change">
                  {r.system}: {r.changes.join("; ")}.
                </p>
              ))}
            {ok
              .filter((r) => r.report!.peakPrecision !== r.report!.run.precision)
              .map((r) => (
                <p class="note" data-testid="precision-assumption">
                  {r.system} ({r.report!.system.chip}) has no {r.report!.run.precision} in hardware: predicted at {r.report!.peakPrecision},
                  the nearest precision it has.
                </p>
              ))}
            {ok.length > 0 && (
              <>
                <h2>Step time breakdown by system</h2>
                <PlotFigure
                  options={options}
                  label={`Step time by system: ${ok.map((r) => `${r.system} ${formatSeconds(r.report!.stepSeconds)}`).join(", ")}`}
                  testId="compare-chart"
                />
              </>
            )}
            <div class="downloads">
              <button type="button" onClick={() => download("ultrasim-compare.csv", toCsv(csvRows()), "text/csv")}>
                Download CSV
              </button>
              <button
                type="button"
                onClick={() =>
                  download(
                    "ultrasim-compare.json",
                    JSON.stringify(
                      rows.map((r) => r.report ?? { system: r.system, error: r.error }),
                      null,
                      2,
                    ) + "\n",
                    "application/json",
                  )
                }
              >
                Download JSON
              </button>
            </div>
          </>
        )}
      </section>
    </div>
  );
}

const ratio = (x: number | null) => (x === null ? "—" : `${x.toFixed(2)}×`);

/** `ultrasim compare`'s table: each system at its best layout, with ratios against the baseline. */
function BestLayouts({ comparison }: { comparison: Comparison }) {
  const csv = () =>
    comparison.rows.map((r) => ({
      system: r.system,
      chip: r.chip,
      chips: r.chips,
      framework: r.framework,
      precision: r.precision,
      layout: r.layout ?? "",
      stepSeconds: r.stepSeconds ?? "",
      tokensPerSecond: r.tokensPerSecond ?? "",
      mfu: r.mfu ?? "",
      timeToTrainSeconds: r.timeToTrainSeconds ?? "",
      usdPerMillionTokens: r.usdPerMillionTokens ?? "",
      kwhPerMillionTokens: r.kwhPerMillionTokens ?? "",
      infeasible: r.infeasible ?? "",
    }));
  return (
    <>
      <div class="table-scroll">
        <table class="numbers" data-testid="compare-best-table">
          <caption>
            Best layout on each system: {comparison.model}, seq {comparison.run.seqLen}, global batch {comparison.run.globalBatch},{" "}
            {comparison.run.precision}, {formatCount(comparison.run.tokens)} tokens to train
          </caption>
          <thead>
            <tr>
              <th scope="col">system</th>
              <th scope="col">chips</th>
              <th scope="col">best layout</th>
              <th scope="col">software</th>
              <th scope="col">step</th>
              <th scope="col">tokens/s</th>
              <th scope="col">MFU</th>
              <th scope="col">time to train</th>
              <th scope="col">$ per 1M tokens</th>
              <th scope="col">kWh per 1M tokens</th>
              <th scope="col">tokens/s vs {comparison.baseline}</th>
            </tr>
          </thead>
          <tbody>
            {comparison.rows.map((r) => (
              <tr data-system={r.system}>
                <th scope="row">{r.system}</th>
                <td>{r.chips}</td>
                {r.stepSeconds === null ? (
                  <td colSpan={9} class="bad">
                    {r.infeasible}
                  </td>
                ) : (
                  <>
                    <td>{r.layout}</td>
                    <td data-testid="software">
                      {r.framework}, {r.precision}
                    </td>
                    <td data-testid="step-seconds" data-value={String(r.stepSeconds)}>
                      {formatSeconds(r.stepSeconds)}
                    </td>
                    <td>{formatCount(r.tokensPerSecond!)}</td>
                    <td>{formatPercent(r.mfu!)}</td>
                    <td>
                      {r.timeToTrainSeconds === null ? "—" : formatSeconds(r.timeToTrainSeconds)}
                      {r.likely.timeToTrainSeconds && (
                        <small data-testid="likely" title={r.likely.timeToTrainSeconds.basis}>
                          <br />
                          likely {formatSeconds(r.likely.timeToTrainSeconds.low)} – {formatSeconds(r.likely.timeToTrainSeconds.high)}
                        </small>
                      )}
                    </td>
                    <td title={r.priceNote ?? undefined}>
                      {r.usdPerMillionTokens === null ? "no public price" : `$${r.usdPerMillionTokens.toFixed(2)}`}
                    </td>
                    <td>{r.kwhPerMillionTokens === null ? "—" : r.kwhPerMillionTokens.toFixed(2)}</td>
                    <td>{ratio(r.vsBaseline.throughput)}</td>
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {comparison.notes.map((n) => (
        <p class="note">{n}</p>
      ))}
      <div class="downloads">
        <button type="button" onClick={() => download("ultrasim-compare.csv", toCsv(csv()), "text/csv")}>
          Download CSV
        </button>
        <button
          type="button"
          onClick={() => download("ultrasim-compare.json", JSON.stringify(comparison, null, 2) + "\n", "application/json")}
        >
          Download JSON
        </button>
      </div>
    </>
  );
}
