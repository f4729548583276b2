// Compare: the same workload and layout on several systems side by side.
import * as Plot from "@observablehq/plot";
import { useMemo } from "preact/hooks";
import type { TrainingScenario } from "../../../src/index.ts";
import { ComputeStatus, ErrorAlert } from "../components/Status.tsx";
import { PlotFigure } from "../components/PlotFigure.tsx";
import { ScenarioFiles } from "../components/ScenarioFiles.tsx";
import { ScenarioForm } from "../components/ScenarioForm.tsx";
import { download, toCsv } from "../download.ts";
import { BREAKDOWN_LABELS, formatCount, formatGB, formatPercent, formatSeconds } from "../format.ts";
import type { CatalogSummary, CompareRow } from "../protocol.ts";
import { useLatestAnswer } from "../useLatestAnswer.ts";

export function ComparePage({
  scenario,
  systems,
  catalog,
  onChange,
  onSystems,
}: {
  scenario: TrainingScenario;
  systems: string[];
  catalog: CatalogSummary;
  onChange: (s: TrainingScenario) => void;
  onSystems: (ids: string[]) => void;
}) {
  const {
    answer: rows,
    error,
    busy,
    elapsedMs,
  } = useLatestAnswer<{ kind: "compare"; scenario: unknown; systems: string[] }, CompareRow[]>({ kind: "compare", scenario, systems }, [
    scenario,
    systems.join(","),
  ]);

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
        <ScenarioForm scenario={scenario} catalog={catalog} onChange={onChange} hide={["system"]} />
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
        <ComputeStatus busy={busy} elapsedMs={elapsedMs} what={`${systems.length} systems computed`} />
        <p class="note">
          The same model, batch, precision, chip count and layout on each system, under the framework named where it runs there, else the
          system's default.
          {!hasOperations && " Energy and $ are not in this build yet."}
        </p>
        <ErrorAlert error={error} />
        {rows && (
          <>
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
