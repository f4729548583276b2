// Claims: AWS's Trainium3 claims checked against the model, as `ultrasim claims` reports them. The
// report plans and simulates dozens of workloads, so it takes a while: it shows it is working and can be
// cancelled.
import * as Plot from "@observablehq/plot";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ErrorAlert } from "../components/Status.tsx";
import { PlotFigure } from "../components/PlotFigure.tsx";
import { download, toCsv } from "../download.ts";
import { engine } from "../engine.ts";
import { EngineError } from "../engineClient.ts";
import type { ClaimsAnswer } from "../protocol.ts";
import { DetailsList } from "../components/DetailsList.tsx";

type Run =
  { state: "running"; since: number } | { state: "done"; ms: number } | { state: "cancelled" } | { state: "failed"; message: string };

const VERDICT_CLASS: Record<string, string> = {
  holds: "verdict-holds",
  "holds only for some workloads": "verdict-some",
  "does not follow from the published specs": "verdict-not",
  "cannot be checked": "verdict-unknown",
};

export function ClaimsPage() {
  const [report, setReport] = useState<ClaimsAnswer | null>(null);
  const [run, setRun] = useState<Run | null>(null);
  const current = useRef(0);
  const running = useRef(false);
  const start = () => {
    const since = performance.now();
    const { id, result } = engine().request<ClaimsAnswer>({ kind: "claims" });
    current.current = id;
    running.current = true;
    setRun({ state: "running", since });
    result.then(
      (value) => {
        if (current.current !== id) return;
        running.current = false;
        setReport(value);
        setRun({ state: "done", ms: performance.now() - since });
      },
      (e: unknown) => {
        if (current.current !== id) return;
        running.current = false;
        const err = e instanceof EngineError ? e : new EngineError(String(e), "INTERNAL");
        setRun(err.code === "CANCELLED" ? { state: "cancelled" } : { state: "failed", message: err.message });
      },
    );
  };
  const cancel = () => {
    current.current = -1;
    running.current = false;
    engine().cancelAll();
    setRun({ state: "cancelled" });
  };
  useEffect(() => {
    start();
    return () => {
      // Leaving the page while the report runs stops it, so other pages get the worker back.
      if (running.current) {
        current.current = -1;
        engine().cancelAll();
      }
    };
  }, []);

  return (
    <section class="claims" aria-labelledby="claims-title" aria-busy={run?.state === "running"}>
      <h2 id="claims-title">AWS's Trainium3 claims, checked against the model</h2>
      <div class="sweep-status">
        <p class="status" role="status" data-testid="status">
          {run?.state === "running"
            ? "checking the claims: planning and simulating each workload in your browser (about half a minute)…"
            : run?.state === "done"
              ? `${report?.claims.length ?? 0} claims checked in your browser in ${(run.ms / 1000).toFixed(1)} s`
              : run?.state === "cancelled"
                ? "cancelled"
                : ""}
        </p>
        {run?.state === "running" && (
          <button type="button" onClick={cancel}>
            Cancel
          </button>
        )}
        {run?.state === "cancelled" && (
          <button type="button" onClick={start}>
            Check the claims
          </button>
        )}
      </div>
      <ErrorAlert error={run?.state === "failed" ? run.message : null} />
      {report && <ClaimsResults report={report} />}
    </section>
  );
}

function ClaimsResults({ report }: { report: ClaimsAnswer }) {
  const ratios = report.claims.flatMap((c) =>
    c.figures
      .filter((f) => f.ratio !== null)
      .map((f) => ({
        key: `${c.claim.id}: ${f.workload}, ${f.metric}`,
        claim: c.claim.subject,
        id: c.claim.id,
        workload: f.workload,
        ratio: f.ratio!,
        claimed: c.claim.unit.startsWith("x") ? c.claim.value : null,
      })),
  );
  const claimed = report.claims
    .filter((c) => c.claim.unit.startsWith("x") && ratios.some((r) => r.id === c.claim.id))
    .map((c) => ({ id: c.claim.id, value: c.claim.value }));
  const options = useMemo(
    () => ({
      height: 40 + 26 * Math.max(1, ratios.length),
      marginLeft: 10,
      x: { label: "Trn3 / Trn2 (predicted) →", grid: true },
      // Labels sit on the bars (long claim names would not fit beside them on a phone).
      y: { axis: null, domain: ratios.map((r) => r.key) },
      marks: [
        Plot.ruleX([1]),
        Plot.barX(ratios, {
          // One bar per figure from zero (no stacking where a claim has two figures for one workload).
          x1: 0,
          x2: "ratio",
          y: "key",
          fill: "#a0cbe8",
          title: (d: { workload: string; ratio: number }) => `${d.workload}: ${d.ratio.toFixed(2)}x`,
        }),
        Plot.tickX(
          ratios.filter((r) => claimed.some((c) => c.id === r.id)),
          {
            x: (d: { id: string }) => claimed.find((c) => c.id === d.id)!.value,
            y: "key",
            stroke: "#e15759",
            strokeWidth: 3,
          },
        ),
        Plot.text(ratios, {
          x: 0,
          y: "key",
          text: (d: { key: string; ratio: number }) => `${d.key} (${d.ratio.toFixed(2)}x)`,
          textAnchor: "start",
          dx: 4,
          fill: "#1b1f24",
          stroke: "white",
          strokeWidth: 3,
        }),
      ],
    }),
    [report],
  );
  const csv = () =>
    report.claims.flatMap((c) =>
      c.figures.map((f) => ({
        claim: c.claim.id,
        verdict: c.verdict,
        workload: f.workload,
        metric: f.metric,
        trn2: f.trn2,
        trn3: f.trn3,
        ratio: f.ratio,
        claimed: c.claim.value,
        unit: c.claim.unit,
      })),
    );
  return (
    <>
      <div class="downloads">
        <button type="button" onClick={() => download("ultrasim-claims.json", JSON.stringify(report, null, 2) + "\n", "application/json")}>
          Download JSON
        </button>
        <button type="button" onClick={() => download("ultrasim-claims.csv", toCsv(csv()), "text/csv")}>
          Download CSV
        </button>
      </div>
      <div class="table-scroll">
        <table class="numbers claims-table" data-testid="claims-table">
          <caption>Verdicts: each claim, what the model predicts, and why</caption>
          <thead>
            <tr>
              <th scope="col">claim</th>
              <th scope="col">AWS says</th>
              <th scope="col">the model predicts</th>
              <th scope="col">verdict</th>
            </tr>
          </thead>
          <tbody>
            {report.claims.map((c) => (
              <tr data-claim={c.claim.id}>
                <th scope="row">
                  {c.claim.subject}
                  <br />
                  <small>
                    <a href={c.claim.source} rel="noreferrer" target="_blank">
                      source
                    </a>
                  </small>
                </th>
                <td>{c.claim.wording}</td>
                <td>
                  <ul class="plain">
                    {c.predicted.map((p) => (
                      <li>{p}</li>
                    ))}
                  </ul>
                </td>
                <td data-testid="verdict" data-value={c.verdict}>
                  <strong class={VERDICT_CLASS[c.verdict] ?? ""}>{c.verdict}</strong>
                  <br />
                  <small>{c.reason}</small>
                  <br />
                  <small data-testid="verdict-interval" data-holds={String(c.acrossInterval.holds)}>
                    {c.acrossInterval.holds ? "Stands across the likely range: " : "Depends on the model's error: "}
                    {c.acrossInterval.note}
                  </small>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {ratios.length > 0 && (
        <>
          <h2>Predicted Trn3 / Trn2 ratio by workload (red: the claimed factor)</h2>
          <PlotFigure
            options={options}
            label={`Predicted Trn3 over Trn2 ratios: ${ratios.map((r) => `${r.id} ${r.workload} ${r.ratio.toFixed(2)}x${r.claimed !== null ? ` (claimed ${r.claimed}x)` : ""}`).join(", ")}`}
            testId="claims-chart"
          />
        </>
      )}
      <DetailsList title="Notes" items={report.notes} />
    </>
  );
}
