// Reliability: goodput and the best checkpoint interval as the cluster grows, closed form and Monte
// Carlo, from the same engine call as `ultrasim reliability`.
import * as Plot from "@observablehq/plot";
import { useMemo } from "preact/hooks";
import { SelectField, systemOptions, type SelectOption } from "../components/SelectField.tsx";
import { ComputeStatus, ErrorAlert } from "../components/Status.tsx";
import { PlotFigure } from "../components/PlotFigure.tsx";
import { download, toCsv } from "../download.ts";
import { formatInteger, formatPercent, formatSeconds } from "../format.ts";
import type { CatalogSummary, ReliabilityAnswer } from "../protocol.ts";
import { reliabilityArguments, type ReliabilityParam, type ReliabilityQuery } from "../reliabilityQuery.ts";
import { useLatestAnswer } from "../useLatestAnswer.ts";
import { Metric } from "./TrainPage.tsx";

type Point = ReliabilityAnswer["points"][number];

const FIELDS: { name: ReliabilityParam; label: string; help: string; placeholder?: string }[] = [
  { name: "chips", label: "Chips (range)", help: "chip counts, A..B (log-spaced) or one number" },
  { name: "points", label: "Points", help: "how many chip counts in the range" },
  { name: "days", label: "Days of work", help: "failure-free training time each simulated run needs" },
  { name: "hot-spares", label: "Hot spares", help: "spare chips kept running: restarts swap instead of rescheduling" },
  { name: "seed", label: "Seed", help: "Monte Carlo seed" },
  {
    name: "checkpoint-interval",
    label: "Checkpoint interval (s)",
    help: "fixed checkpoint interval; empty: the Young–Daly optimum",
    placeholder: "Young–Daly",
  },
  {
    name: "failures-per-chip-year",
    label: "Failures per chip-year",
    help: "total interruption rate per chip-year; empty: the Llama 3 fleet's",
    placeholder: "Llama 3 fleet",
  },
];

export function ReliabilityPage({
  query,
  catalog,
  onChange,
}: {
  query: ReliabilityQuery;
  catalog: CatalogSummary;
  onChange: (q: ReliabilityQuery) => void;
}) {
  // A bad input keeps the last good result on screen, with the error above it.
  const {
    answer: scan,
    error,
    busy,
    elapsedMs,
  } = useLatestAnswer<{ kind: "reliability"; query: ReliabilityQuery }, ReliabilityAnswer>(
    { kind: "reliability", query },
    [JSON.stringify(query)],
    true,
  );

  const set = (name: ReliabilityParam, value: string) => onChange({ ...query, [name]: value });
  const select = (name: ReliabilityParam, label: string, options: SelectOption[]) => (
    <SelectField name={name} label={label} value={query[name]} options={options} onChange={(v) => set(name, v)} />
  );

  return (
    <div class="page-grid">
      <section class="inputs" aria-label="Inputs">
        <form class="scenario-form" onSubmit={(e) => e.preventDefault()} aria-label="Reliability inputs">
          <fieldset>
            <legend>Run</legend>
            {select("system", "System", systemOptions(catalog))}
            {select(
              "model",
              "Model (checkpointed)",
              catalog.models.map((m) => ({ value: m.id, text: m.name })),
            )}
            {select(
              "checkpoint",
              "Checkpoint mode",
              catalog.checkpointModes.map((m) => ({ value: m, text: m })),
            )}
            {FIELDS.map((f) => (
              <label class={f.name === "chips" || f.placeholder ? "field wide" : "field"}>
                <span>{f.label}</span>
                <input
                  name={f.name}
                  type="text"
                  inputMode={f.name === "chips" ? "text" : "decimal"}
                  autoComplete="off"
                  title={f.help}
                  placeholder={f.placeholder}
                  value={query[f.name]}
                  onInput={(e) => set(f.name, e.currentTarget.value)}
                />
              </label>
            ))}
          </fieldset>
        </form>
        <p class="cli" aria-label="The same inputs on the command line">
          <code>npx ultrasim reliability {reliabilityArguments(query).join(" ")}</code>
        </p>
      </section>
      <section class="results" aria-label="Results" aria-busy={busy}>
        <ComputeStatus busy={busy} elapsedMs={elapsedMs} />
        <ErrorAlert error={error} />
        {scan && <ReliabilityResults scan={scan} catalog={catalog} />}
      </section>
    </div>
  );
}

/**
 * The goodput the page stands behind: the Monte Carlo simulation's where it ran (it holds where the
 * closed form's assumptions fail, as at large scale), the closed form's otherwise.
 */
function trustedGoodput(p: Point): { value: number; method: "Monte Carlo" | "closed form"; truncated: boolean } {
  return p.monteCarlo
    ? { value: p.monteCarlo.goodput.value!, method: "Monte Carlo", truncated: p.monteCarlo.truncated }
    : { value: p.closedForm.goodput.value!, method: "closed form", truncated: false };
}

function ReliabilityResults({ scan, catalog }: { scan: ReliabilityAnswer; catalog: CatalogSummary }) {
  const points = scan.points;
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const modelName = catalog.models.find((m) => m.id === scan.model)?.name ?? scan.model;
  const goodputRows = points.flatMap((p) => [
    { chips: p.chips, goodput: p.closedForm.goodput.value!, method: "closed form (Young–Daly)" },
    ...(p.monteCarlo ? [{ chips: p.chips, goodput: p.monteCarlo.goodput.value!, method: `Monte Carlo (seed ${p.monteCarlo.seed})` }] : []),
  ]);
  const intervalRows = points.flatMap((p) => [
    { chips: p.chips, minutes: p.youngDalyIntervalSeconds.value! / 60, what: "Young–Daly optimum" },
    { chips: p.chips, minutes: p.intervalSeconds.value! / 60, what: "interval used" },
    { chips: p.chips, minutes: p.mtbfSeconds.value! / 60, what: "MTBF" },
  ]);
  const goodputOptions = useMemo(
    () => ({
      height: 300,
      marginLeft: 50,
      marginRight: 20,
      x: { type: "log" as const, label: "chips →", grid: true },
      y: { label: "↑ goodput", domain: [0, 1], tickFormat: (d: number) => `${Math.round(d * 100)}%`, grid: true },
      color: { legend: true, scheme: "tableau10" as const },
      marks: [
        Plot.ruleY([0]),
        Plot.line(goodputRows, { x: "chips", y: "goodput", stroke: "method", strokeWidth: 2 }),
        Plot.dot(goodputRows, {
          x: "chips",
          y: "goodput",
          fill: "method",
          r: 3.5,
          title: (d: { chips: number; goodput: number; method: string }) =>
            `${formatInteger(d.chips)} chips, ${d.method}: ${formatPercent(d.goodput)}`,
        }),
      ],
    }),
    [scan],
  );
  const intervalOptions = useMemo(
    () => ({
      height: 260,
      marginLeft: 56,
      marginRight: 20,
      x: { type: "log" as const, label: "chips →", grid: true },
      y: { type: "log" as const, label: "↑ minutes", grid: true },
      color: { legend: true, domain: ["Young–Daly optimum", "interval used", "MTBF"], range: ["#4e79a7", "#f28e2b", "#9c9c9c"] },
      marks: [
        Plot.line(
          intervalRows.filter((d) => d.what !== "MTBF"),
          { x: "chips", y: "minutes", stroke: "what", strokeWidth: 2 },
        ),
        Plot.line(
          intervalRows.filter((d) => d.what === "MTBF"),
          { x: "chips", y: "minutes", stroke: "what", strokeDasharray: "4 3" },
        ),
        Plot.dot(intervalRows, {
          x: "chips",
          y: "minutes",
          fill: "what",
          r: 3,
          title: (d: { chips: number; minutes: number; what: string }) =>
            `${formatInteger(d.chips)} chips, ${d.what}: ${formatSeconds(d.minutes * 60)}`,
        }),
      ],
    }),
    [scan],
  );
  const mcOf = (p: Point) => p.monteCarlo?.goodput.value ?? null;
  const csvRows = () =>
    points.map((p) => ({
      chips: p.chips,
      interruptionsPerDay: p.interruptionsPerDay.value,
      mtbfSeconds: p.mtbfSeconds.value,
      checkpointBlockingSeconds: p.checkpoint.blockingSeconds.value,
      restartSeconds: p.checkpoint.restartSeconds.value,
      youngDalyIntervalSeconds: p.youngDalyIntervalSeconds.value,
      intervalSeconds: p.intervalSeconds.value,
      closedFormGoodput: p.closedForm.goodput.value,
      closedFormValid: p.closedForm.valid,
      monteCarloGoodput: mcOf(p) ?? "",
      monteCarloFailures: p.monteCarlo?.failures.value ?? "",
      effectiveSeconds: p.monteCarlo ? (p.monteCarlo.effectiveSeconds.value ?? "never") : p.closedForm.effectiveSeconds.value,
    }));
  const notes = [...new Set(points.flatMap((p) => p.notes.map((n) => `${formatInteger(p.chips)} chips: ${n}`)))];
  const fileBase = `ultrasim-reliability-${scan.model}-${scan.systemId}`;
  return (
    <>
      <dl class="metrics">
        {[
          { p: first, testId: "goodput-first" },
          { p: last, testId: "goodput-last" },
        ].map(({ p, testId }) => {
          const g = trustedGoodput(p);
          return (
            <Metric
              label={`Goodput at ${formatInteger(p.chips)} chips (${g.method})`}
              value={g.value}
              text={formatPercent(g.value) + (g.truncated ? " †" : "")}
              testId={testId}
            />
          );
        })}
        <Metric
          label={`Best interval at ${formatInteger(last.chips)} chips`}
          value={last.intervalSeconds.value!}
          text={formatSeconds(last.intervalSeconds.value!)}
          testId="interval-last"
        />
        <Metric
          label="Checkpoint size"
          value={first.checkpoint.checkpointBytes.value!}
          text={`${(first.checkpoint.checkpointBytes.value! / 1e12).toFixed(2)} TB`}
          testId="checkpoint-bytes"
        />
      </dl>
      <p class="subtitle">
        {modelName} checkpoints on {scan.chipId} ({scan.systemId}), {first.checkpointMode} checkpoints
        {first.hotSpares > 0 ? `, ${first.hotSpares} hot spare chips` : ""}; {formatSeconds(first.workSeconds.value!)} of failure-free work
        per run.
      </p>
      <div class="downloads">
        <button type="button" onClick={() => download(`${fileBase}.json`, JSON.stringify(scan, null, 2) + "\n", "application/json")}>
          Download JSON
        </button>
        <button type="button" onClick={() => download(`${fileBase}.csv`, toCsv(csvRows()), "text/csv")}>
          Download CSV
        </button>
      </div>
      <h2>Goodput against scale</h2>
      <PlotFigure
        options={goodputOptions}
        label={`Goodput against chips (log scale), closed form and Monte Carlo: ${points
          .map(
            (p) =>
              `${formatInteger(p.chips)} chips ${formatPercent(p.closedForm.goodput.value!)}${mcOf(p) === null ? "" : ` / ${formatPercent(mcOf(p)!)}`}`,
          )
          .join(", ")}`}
        testId="goodput-chart"
      />
      <h2>Checkpoint interval against scale</h2>
      <PlotFigure
        options={intervalOptions}
        label={`Checkpoint interval against chips (log scales): ${points
          .map(
            (p) =>
              `${formatInteger(p.chips)} chips every ${formatSeconds(p.intervalSeconds.value!)} (MTBF ${formatSeconds(p.mtbfSeconds.value!)})`,
          )
          .join(", ")}`}
        testId="interval-chart"
      />
      <div class="table-scroll">
        <table class="numbers" data-testid="reliability-table">
          <caption>Goodput and checkpointing at each scale (the charts' numbers)</caption>
          <thead>
            <tr>
              <th scope="col">chips</th>
              <th scope="col">interruptions/day</th>
              <th scope="col">MTBF</th>
              <th scope="col">checkpoint stops</th>
              <th scope="col">restart</th>
              <th scope="col">best interval</th>
              <th scope="col">goodput (closed form)</th>
              <th scope="col">goodput (Monte Carlo)</th>
              <th scope="col">time to train</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr data-chips={String(p.chips)}>
                <th scope="row">{formatInteger(p.chips)}</th>
                <td>{p.interruptionsPerDay.value!.toPrecision(3)}</td>
                <td>{formatSeconds(p.mtbfSeconds.value!)}</td>
                <td>{formatSeconds(p.checkpoint.blockingSeconds.value!)}</td>
                <td>{formatSeconds(p.checkpoint.restartSeconds.value!)}</td>
                <td data-testid="interval" data-value={String(p.intervalSeconds.value)}>
                  {formatSeconds(p.intervalSeconds.value!)}
                </td>
                <td data-testid="closed-form-goodput" data-value={String(p.closedForm.goodput.value)}>
                  {formatPercent(p.closedForm.goodput.value!)}
                  {p.closedForm.valid ? "" : " *"}
                </td>
                <td data-testid="monte-carlo-goodput" data-value={String(mcOf(p))}>
                  {mcOf(p) === null ? "n/a" : formatPercent(mcOf(p)!) + (p.monteCarlo!.truncated ? " †" : "")}
                </td>
                <td>
                  {/* No work completes before the simulation's event cap: the run never ends at this scale. */}
                  {p.monteCarlo && p.monteCarlo.effectiveSeconds.value === null
                    ? "never"
                    : formatSeconds(p.monteCarlo?.effectiveSeconds.value ?? p.closedForm.effectiveSeconds.value!)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {points.some((p) => !p.closedForm.valid) && (
        <p class="note">* outside the closed form's assumptions (interval or restart not small against the MTBF): trust the simulation.</p>
      )}
      {points.some((p) => p.monteCarlo?.truncated) && (
        <p class="note">† the simulation stopped at its event cap; goodput is that of the part simulated.</p>
      )}
      {notes.length > 0 && (
        <details>
          <summary>Notes ({notes.length})</summary>
          <ul>
            {notes.map((n) => (
              <li>{n}</li>
            ))}
          </ul>
        </details>
      )}
      <p class="provenance">
        Failure rates per chip-year: {first.components.map((c) => `${c.id} ${c.perChipYear.value!.toFixed(4)}`).join(", ")}
        {first.components[0]?.perChipYear.note ? ` (${first.components[0].perChipYear.note})` : ""}.
      </p>
    </>
  );
}
