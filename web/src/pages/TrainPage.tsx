// Train: one scenario's prediction (step time and where it goes, memory per chip against capacity,
// MFU and tokens/s) and, where the planner is in the build, the best layouts and a scaling curve.
import * as Plot from "@observablehq/plot";
import { useMemo } from "preact/hooks";
import type { TrainingReport, TrainingScenario } from "../../../src/index.ts";
import { ComputeStatus, ErrorAlert } from "../components/Status.tsx";
import { PlotFigure } from "../components/PlotFigure.tsx";
import { ScenarioFiles } from "../components/ScenarioFiles.tsx";
import { ScenarioForm } from "../components/ScenarioForm.tsx";
import { PlannerPanel } from "../components/PlannerPanel.tsx";
import { download, flatten, toCsv } from "../download.ts";
import { engine } from "../engine.ts";
import { EngineError } from "../engineClient.ts";
import { BREAKDOWN_LABELS, formatChips, formatCount, formatGB, formatPercent, formatSeconds, GB, MEMORY_LABELS } from "../format.ts";
import type { CatalogSummary, PredictAnswer } from "../protocol.ts";
import { cliArguments } from "../urlState.ts";
import { useLatestAnswer } from "../useLatestAnswer.ts";
import { DetailsList } from "../components/DetailsList.tsx";

export function Metric({
  label,
  value,
  text,
  testId,
  likely,
}: {
  label: string;
  value: number | string;
  text: string;
  testId: string;
  /** The likely range, as text, and what it rests on (validate/intervals.ts). */
  likely?: { text: string; basis: string; low: number; high: number } | null;
}) {
  return (
    <div class="metric">
      <dt>{label}</dt>
      <dd data-testid={testId} data-value={String(value)}>
        {text}
      </dd>
      {likely && (
        <dd
          class="likely"
          data-testid={`${testId}-likely`}
          data-low={String(likely.low)}
          data-high={String(likely.high)}
          title={likely.basis}
        >
          likely {likely.text}
        </dd>
      )}
    </div>
  );
}

/** A likely range for Metric, each end in the figure's format. */
export function likelyRange(range: { low: number; high: number; basis: string } | null, format: (x: number) => string) {
  return range ? { text: `${format(range.low)} – ${format(range.high)}`, basis: range.basis, low: range.low, high: range.high } : null;
}

function breakdownRows(report: TrainingReport) {
  return (Object.keys(BREAKDOWN_LABELS) as (keyof typeof BREAKDOWN_LABELS)[]).map((k) => ({
    part: BREAKDOWN_LABELS[k],
    key: k,
    seconds: report.breakdownSeconds[k],
  }));
}

function memoryRows(report: TrainingReport) {
  return (Object.keys(MEMORY_LABELS) as (keyof typeof MEMORY_LABELS)[]).map((k) => ({
    part: MEMORY_LABELS[k],
    key: k,
    bytes: report.memoryBytes[k],
  }));
}

export function TrainPage({
  scenario,
  catalog,
  onChange,
}: {
  scenario: TrainingScenario;
  catalog: CatalogSummary;
  onChange: (s: TrainingScenario) => void;
}) {
  const { answer, error, setError, busy, elapsedMs } = useLatestAnswer<{ kind: "predict"; scenario: unknown }, PredictAnswer>(
    { kind: "predict", scenario },
    [scenario],
  );

  const report = answer?.report;
  const exportTrace = async () => {
    try {
      const traced = await engine().request<PredictAnswer>({ kind: "predict", scenario, timeline: true }).result;
      download("ultrasim-step.trace.json", JSON.stringify(traced.trace), "application/json");
    } catch (e) {
      setError(e instanceof EngineError ? e.message : String(e));
    }
  };

  return (
    <div class="page-grid">
      <section class="inputs" aria-label="Inputs">
        <ScenarioForm scenario={scenario} catalog={catalog} onChange={onChange} />
        <ScenarioFiles scenario={scenario} onImport={onChange} />
        <p class="cli" aria-label="The same scenario on the command line">
          <code>npx ultrasim train {cliArguments(scenario).join(" ")}</code>
        </p>
      </section>
      <section class="results" aria-label="Results" aria-busy={busy}>
        <ComputeStatus busy={busy} elapsedMs={elapsedMs} />
        <ErrorAlert error={error} />
        {report && (
          <TrainResults
            report={report}
            chipName={catalog.chips.find((c) => c.id === report.system.chip)?.name ?? report.system.chip}
            onTrace={exportTrace}
          />
        )}
        {catalog.capabilities.plan ? (
          <PlannerPanel scenario={scenario} catalog={catalog} onUse={onChange} />
        ) : (
          <p class="placeholder-note" data-testid="planner-missing">
            The planner (best layouts, scaling curve) is not in this build yet.
          </p>
        )}
      </section>
    </div>
  );
}

function TrainResults({ report, chipName, onTrace }: { report: TrainingReport; chipName: string; onTrace: () => void }) {
  const breakdown = breakdownRows(report);
  const memory = memoryRows(report);
  const capacity = report.memoryBytes.capacity;
  const breakdownOptions = useMemo(
    () => ({
      height: 120,
      marginLeft: 10,
      marginRight: 20,
      x: { label: "seconds per step →", grid: true },
      y: { axis: null },
      color: { legend: true, domain: breakdown.map((r) => r.part), scheme: "tableau10" as const },
      marks: [
        Plot.barX(breakdown, {
          x: "seconds",
          fill: "part",
          y: () => "step",
          title: (d: { part: string; seconds: number }) => `${d.part}: ${formatSeconds(d.seconds)}`,
        }),
      ],
    }),
    [report],
  );
  const memoryOptions = useMemo(
    () => ({
      height: 120,
      marginLeft: 10,
      marginRight: 30,
      x: { label: "GB per chip →", grid: true, domain: [0, (Math.max(capacity, report.memoryBytes.total) / GB) * 1.05] },
      y: { axis: null },
      color: { legend: true, domain: memory.map((r) => r.part), scheme: "set2" as const },
      marks: [
        Plot.barX(memory, {
          x: (d: { bytes: number }) => d.bytes / GB,
          fill: "part",
          y: () => "memory",
          title: (d: { part: string; bytes: number }) => `${d.part}: ${formatGB(d.bytes)}`,
        }),
        Plot.ruleX([capacity / GB], { stroke: "#c0392b", strokeWidth: 2 }),
        Plot.text([capacity / GB], {
          x: (d: number) => d,
          text: () => "capacity",
          frameAnchor: "top",
          dy: -2,
          textAnchor: "end",
          dx: -4,
          fill: "#c0392b",
        }),
      ],
    }),
    [report],
  );
  const fileBase = `ultrasim-${report.model.id ?? "model"}-${report.system.id}-${report.system.chips}`;
  return (
    <>
      <dl class="metrics">
        <Metric
          label="Step time"
          value={report.stepSeconds}
          text={formatSeconds(report.stepSeconds)}
          testId="step-seconds"
          likely={likelyRange(report.likely.stepSeconds, formatSeconds)}
        />
        <Metric
          label="Tokens/s"
          value={report.tokensPerSecond}
          text={formatCount(report.tokensPerSecond)}
          testId="tokens-per-second"
          likely={likelyRange(report.likely.tokensPerSecond, formatCount)}
        />
        <Metric
          label="Tokens/s per chip"
          value={report.tokensPerSecondPerChip}
          text={formatCount(report.tokensPerSecondPerChip)}
          testId="tokens-per-second-per-chip"
        />
        <Metric
          label="MFU"
          value={report.mfu}
          text={formatPercent(report.mfu)}
          testId="mfu"
          likely={likelyRange(report.likely.mfu, formatPercent)}
        />
        <Metric label="HFU" value={report.hfu} text={formatPercent(report.hfu)} testId="hfu" />
        <Metric
          label="Memory per chip"
          value={report.memoryBytes.total}
          text={`${formatGB(report.memoryBytes.total)} of ${formatGB(capacity)}${report.memoryBytes.fits ? "" : " — does not fit"}`}
          testId="memory-total"
        />
      </dl>
      <p class="subtitle">
        {report.model.name} on <span data-testid="chips-label">{formatChips(report.system.chips, chipName)}</span> ({report.system.id}),
        critical stage {report.criticalStage}
      </p>
      <div class="downloads">
        <button type="button" onClick={() => download(`${fileBase}.json`, JSON.stringify(report, null, 2) + "\n", "application/json")}>
          Download JSON
        </button>
        <button type="button" onClick={() => download(`${fileBase}.csv`, toCsv(flatten(report)), "text/csv")}>
          Download CSV
        </button>
        <button type="button" onClick={onTrace}>
          Perfetto trace
        </button>
      </div>
      <h2>Step time breakdown</h2>
      <PlotFigure
        options={breakdownOptions}
        label={`Step time breakdown: ${breakdown.map((r) => `${r.part} ${formatSeconds(r.seconds)}`).join(", ")}`}
        testId="breakdown-chart"
      />
      <table class="numbers" data-testid="breakdown-table">
        <caption class="sr-only">Step time breakdown</caption>
        <thead>
          <tr>
            <th scope="col">part</th>
            <th scope="col">time</th>
            <th scope="col">share</th>
          </tr>
        </thead>
        <tbody>
          {breakdown.map((r) => (
            <tr>
              <th scope="row">{r.part}</th>
              <td data-value={String(r.seconds)} data-key={r.key}>
                {formatSeconds(r.seconds)}
              </td>
              <td>{formatPercent(r.seconds / report.stepSeconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Memory per chip</h2>
      <PlotFigure
        options={memoryOptions}
        label={`Memory per chip: ${formatGB(report.memoryBytes.total)} of ${formatGB(capacity)}; ${memory.map((r) => `${r.part} ${formatGB(r.bytes)}`).join(", ")}`}
        testId="memory-chart"
      />
      <table class="numbers" data-testid="memory-table">
        <caption class="sr-only">Memory per chip</caption>
        <thead>
          <tr>
            <th scope="col">component</th>
            <th scope="col">GB</th>
          </tr>
        </thead>
        <tbody>
          {memory.map((r) => (
            <tr>
              <th scope="row">{r.part}</th>
              <td data-value={String(r.bytes)} data-key={r.key}>
                {formatGB(r.bytes)}
              </td>
            </tr>
          ))}
          <tr>
            <th scope="row">total (capacity {formatGB(capacity)})</th>
            <td>{formatGB(report.memoryBytes.total)}</td>
          </tr>
        </tbody>
      </table>
      <DetailsList title="Assumptions" items={report.assumptions} />
      <p class="provenance">Efficiencies: {report.efficiency}</p>
    </>
  );
}
