// `ultrasim serve --concurrency 1,4,16,64` in the browser: the Serve page's deployment under closed
// loops of more and more clients, drawn as serving benchmarks draw it: output tokens/s per chip against
// tokens/s per user (one over the mean TPOT), each point a client count, with the table beside it.
// Run on request (each count is a simulation of its own), with progress; it can be cancelled.
import * as Plot from "@observablehq/plot";
import { useMemo } from "preact/hooks";
import { download } from "../download.ts";
import { useOnDemand } from "../useOnDemand.ts";
import { RunProgress } from "./RunProgress.tsx";
import { formatCount, formatPercent, formatSeconds } from "../format.ts";
import type { ServeCurveAnswer } from "../protocol.ts";
import type { ServeQuery } from "../serveQuery.ts";
import { PlotFigure } from "./PlotFigure.tsx";

export function ServeCurvePanel({ query, onChange }: { query: ServeQuery; onChange: (q: ServeQuery) => void }) {
  const { done, answer: curve, message, run } = useOnDemand<ServeCurveAnswer>("Curve cancelled.");
  const simulate = () => run({ kind: "serveCurve", query });

  const rows = (curve?.points ?? []).map((p) => {
    const r = p.report;
    const tpot = r.latency.tpotSeconds?.mean ?? null;
    return {
      clients: p.concurrency,
      requests: p.requests,
      perChip: r.throughput.sustainedOutputTokensPerSecond / Math.max(1, r.chips),
      total: r.throughput.sustainedOutputTokensPerSecond,
      perUser: tpot && tpot > 0 ? 1 / tpot : null,
      ttftP50: r.latency.ttftSeconds?.p50 ?? null,
      ttftP99: r.latency.ttftSeconds?.p99 ?? null,
      meetingSlo: r.goodput?.fractionMeetingSlo ?? null,
    };
  });
  const options = useMemo(
    () => ({
      height: 260,
      marginTop: 30,
      marginLeft: 56,
      marginRight: 24,
      // Room around the extreme points for their client-count labels.
      inset: 16,
      x: { label: "tokens/s per user (1 / mean TPOT) →", grid: true },
      y: { label: "↑ output tokens/s per chip", grid: true, zero: true },
      marks: [
        Plot.line(
          rows.filter((d) => d.perUser !== null),
          { x: "perUser", y: "perChip", stroke: "#4e79a7", strokeWidth: 2 },
        ),
        Plot.dot(
          rows.filter((d) => d.perUser !== null),
          {
            x: "perUser",
            y: "perChip",
            fill: "#4e79a7",
            r: 4,
            title: (d: (typeof rows)[number]) =>
              `${d.clients} clients: ${formatCount(d.perChip)} tok/s per chip, ${formatCount(d.perUser ?? 0)} tok/s per user`,
          },
        ),
        Plot.text(
          rows.filter((d) => d.perUser !== null),
          { x: "perUser", y: "perChip", text: (d: (typeof rows)[number]) => String(d.clients), dy: -10, fill: "#333" },
        ),
      ],
    }),
    [curve],
  );

  return (
    <section class="planner" aria-label="Closed-loop curve">
      <h2>Throughput against interactivity</h2>
      <div class="downloads">
        <label class="field">
          <span>Clients</span>
          <input
            name="clients"
            type="text"
            autoComplete="off"
            title="closed-loop client counts, comma-separated (the CLI's --concurrency)"
            value={query.clients}
            onInput={(e) => onChange({ ...query, clients: e.currentTarget.value })}
          />
        </label>
        <button type="button" disabled={done !== null} onClick={() => void simulate()}>
          Simulate the curve
        </button>
        {done !== null && <RunProgress done={done} label="closed-loop curve progress" testId="serve-curve-progress" />}
        {curve && (
          <button
            type="button"
            onClick={() => download("ultrasim-serve-curve.json", JSON.stringify(curve, null, 2) + "\n", "application/json")}
          >
            Download curve JSON
          </button>
        )}
      </div>
      <p class="note">
        As <code>ultrasim serve scenario.yaml --concurrency {query.clients.replace(/\s+/g, "")}</code>: one closed loop per client count,
        each client sending its next request when its last completes, measured in its steady state; each count runs this page&apos;s
        requests, or eight per client where that is more.
      </p>
      {message && (
        <p class="note" role="status">
          {message}
        </p>
      )}
      {curve && (
        <>
          <PlotFigure
            options={options}
            label="output tokens/s per chip against tokens/s per user, one point per client count"
            testId="serve-curve-chart"
          />
          <div class="table-scroll">
            <table class="numbers" data-testid="serve-curve-table">
              <caption>One closed loop per client count</caption>
              <thead>
                <tr>
                  <th scope="col">clients</th>
                  <th scope="col">requests</th>
                  <th scope="col">output tokens/s</th>
                  <th scope="col">per chip</th>
                  <th scope="col">tokens/s per user</th>
                  <th scope="col">TTFT p50</th>
                  <th scope="col">TTFT p99</th>
                  <th scope="col">meeting the SLO</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((d) => (
                  <tr>
                    <th scope="row">{d.clients}</th>
                    <td>{d.requests}</td>
                    <td data-testid="serve-curve-output-tokens" data-value={d.total}>
                      {formatCount(d.total)}
                    </td>
                    <td>{formatCount(d.perChip)}</td>
                    <td>{d.perUser === null ? "—" : formatCount(d.perUser)}</td>
                    <td>{d.ttftP50 === null ? "—" : formatSeconds(d.ttftP50)}</td>
                    <td>{d.ttftP99 === null ? "—" : formatSeconds(d.ttftP99)}</td>
                    <td>{d.meetingSlo === null ? "—" : formatPercent(d.meetingSlo)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
