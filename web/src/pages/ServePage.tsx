// Serve: latency and throughput against load with the SLO drawn in, $ per 1M tokens, and KV-cache
// occupancy over time. A load sweep simulates the deployment at several arrival rates in the worker,
// with progress, and can be cancelled; each point is what `ultrasim serve FILE --rate R --json` prints.
import * as Plot from "@observablehq/plot";
import { stringify } from "yaml";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { SelectField, systemOptions, type SelectOption } from "../components/SelectField.tsx";
import { ErrorAlert } from "../components/Status.tsx";
import { ServePlanPanel } from "../components/ServePlanPanel.tsx";
import { ServeCurvePanel } from "../components/ServeCurvePanel.tsx";
import { PlotFigure } from "../components/PlotFigure.tsx";
import { download, flatten, toCsv } from "../download.ts";
import { engine } from "../engine.ts";
import { EngineError } from "../engineClient.ts";
import { formatCount, formatPercent, formatSeconds } from "../format.ts";
import type { CatalogSummary, ServeSweep, ServingReport } from "../protocol.ts";
import { servingScenarioOf, type ServeParam, type ServeQuery } from "../serveQuery.ts";
import { Metric } from "./TrainPage.tsx";
import { DetailsList } from "../components/DetailsList.tsx";

type Run = { state: "running"; done: number } | { state: "done"; ms: number } | { state: "cancelled" } | { state: "failed" };

const NUMBER_FIELDS: { name: ServeParam; label: string; help: string; wide?: boolean }[] = [
  { name: "tp", label: "TP", help: "tensor-parallel degree of a replica" },
  { name: "pp", label: "PP", help: "pipeline-parallel degree of a replica" },
  { name: "replicas", label: "Replicas", help: "independent copies of the model; chips = tp × attention DP × pp × replicas" },
  {
    name: "attention-dp",
    label: "Attention DP",
    help: "attention data-parallel ranks per replica, each with its own batch and KV cache (MoE)",
  },
  { name: "ep", label: "EP", help: "expert-parallel ranks of the MoE layers; divides tp × attention DP" },
  {
    name: "expert-imbalance",
    label: "Expert load imbalance",
    help: "MoE with EP: tokens routed to the busiest expert-parallel rank over the mean (empty: 1, balanced)",
  },
  { name: "max-batch", label: "Max batch", help: "the most requests running at once per replica" },
  { name: "input-tokens", label: "Input tokens", help: "prompt length: one number, or A..B for uniform" },
  { name: "output-tokens", label: "Output tokens", help: "answer length: one number, or A..B for uniform" },
  {
    name: "shared-prefix",
    label: "Shared prefix",
    help: "prompts start with a shared prefix of TOKENS tokens (a system prompt), or one of N: TOKENS:N; empty: none",
  },
  {
    name: "conversation",
    label: "Conversation turns",
    help: "each request starts a conversation of TURNS turns, each resending its history THINK seconds after the answer: TURNS:THINK; empty: single requests",
  },
  { name: "requests", label: "Requests", help: "requests simulated at each load point" },
  { name: "seed", label: "Seed", help: "seed of the traffic generator" },
  { name: "rate", label: "Detail rate (req/s)", help: "the load point shown in detail (the CLI's --rate)" },
  { name: "rates", label: "Sweep rates (req/s)", help: "arrival rates of the load sweep, comma-separated", wide: true },
  { name: "slo", label: "SLO", help: "latency SLO, e.g. ttft=1s,tpot=20ms,e2e=30s (the CLI's --slo)", wide: true },
];

const latencyOf = (r: ServingReport, key: "ttftSeconds" | "tpotSeconds" | "e2eSeconds", q: "p50" | "p99") => r.latency[key]?.[q] ?? null;

export function ServePage({ query, catalog, onChange }: { query: ServeQuery; catalog: CatalogSummary; onChange: (q: ServeQuery) => void }) {
  const [sweep, setSweep] = useState<ServeSweep | null>(null);
  const [run, setRun] = useState<Run | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** The id of the sweep whose answers count; -1 after a cancel. */
  const current = useRef(0);
  const running = useRef(false);

  const start = () => {
    const client = engine();
    // One sweep at a time: a new one replaces (cancels) the one still running.
    if (running.current) client.cancelAll();
    running.current = true;
    const started = performance.now();
    const { id, result } = client.request<ServeSweep>({ kind: "serveSweep", query }, (done) => {
      if (current.current === id) setRun({ state: "running", done });
    });
    current.current = id;
    setRun({ state: "running", done: 0 });
    result.then(
      (value) => {
        if (current.current !== id) return;
        running.current = false;
        setSweep(value);
        setError(null);
        setRun({ state: "done", ms: performance.now() - started });
      },
      (e: unknown) => {
        if (current.current !== id) return;
        running.current = false;
        const err = e instanceof EngineError ? e : new EngineError(String(e), "INTERNAL");
        if (err.code === "CANCELLED") setRun({ state: "cancelled" });
        else {
          setError(err.message);
          setRun({ state: "failed" });
        }
      },
    );
  };
  const cancel = () => {
    current.current = -1;
    running.current = false;
    engine().cancelAll();
    setRun({ state: "cancelled" });
  };
  // Inputs settle for a moment before a sweep starts, so typing "32" does not simulate "3" first.
  useEffect(() => {
    const timer = setTimeout(start, 250);
    return () => clearTimeout(timer);
  }, [JSON.stringify({ ...query, "plan-systems": "", objective: "", clients: "" })]); // the deployment search's and the curve's own inputs do not change the sweep

  const set = (name: ServeParam, value: string) => {
    const next = { ...query, [name]: value };
    // An engine the new system's chip cannot start gives way to that system's default.
    if (name === "system" && next.engine && !enginesFor(value).some((e) => e.id === next.engine)) next.engine = "";
    onChange(next);
  };
  const systemOf = (id: string) => catalog.systems.find((s) => s.id === id);
  const enginesFor = (systemId: string) => catalog.servingEngines.filter((e) => e.runtime === systemOf(systemId)?.servingRuntime);
  const engineOptions: SelectOption[] = [
    { value: "", text: `default for the system (${systemOf(query.system)?.defaultServingEngine ?? "none"})` },
    ...enginesFor(query.system).map((e) => ({ value: e.id, text: e.name })),
  ];
  const select = (name: ServeParam, label: string, options: SelectOption[], wide = true) => (
    <SelectField name={name} label={label} value={query[name]} options={options} onChange={(v) => set(name, v)} wide={wide} />
  );
  let command = "";
  try {
    command = `npx ultrasim serve scenario.yaml --rate ${query.rate} --requests ${query.requests} --seed ${query.seed}${query.slo.trim() ? ` --slo ${query.slo.trim()}` : ""}`;
    servingScenarioOf(query, 1);
  } catch {
    command = "";
  }

  return (
    <div class="page-grid">
      <section class="inputs" aria-label="Inputs">
        <form class="scenario-form" onSubmit={(e) => e.preventDefault()} aria-label="Serving inputs">
          <fieldset>
            <legend>Deployment</legend>
            {select(
              "model",
              "Model",
              catalog.models.map((m) => ({ value: m.id, text: m.name })),
            )}
            {select("system", "System", systemOptions(catalog))}
            {select("engine", "Engine", engineOptions)}
            {select(
              "precision",
              "Precision",
              catalog.servingPrecisions.map((p) => ({ value: p, text: p })),
              false,
            )}
            {select(
              "batching",
              "Batching",
              [
                { value: "continuous", text: "continuous" },
                { value: "static", text: "static" },
              ],
              false,
            )}
            {select("routing", "Routing", [
              { value: "least-loaded", text: "least-loaded" },
              { value: "cache-aware", text: "cache-aware (SGLang's router)" },
            ])}
            {NUMBER_FIELDS.slice(0, 7).map((f) => numberField(f))}
          </fieldset>
          <fieldset>
            <legend>Traffic and SLO</legend>
            {NUMBER_FIELDS.slice(7).map((f) => numberField(f))}
          </fieldset>
        </form>
        <p class="cli" aria-label="The detail point on the command line">
          <code>{command || "fix the inputs to see the command"}</code>
          <small> (scenario.yaml: the Export scenario button)</small>
        </p>
      </section>
      <section class="results" aria-label="Results" aria-busy={run?.state === "running"}>
        <div class="sweep-status">
          <p class="status" role="status" data-testid="status">
            {run?.state === "running"
              ? `simulating the load sweep… ${Math.round(run.done * 100)}%`
              : run?.state === "done"
                ? `${sweep?.points.length ?? 0} load points simulated in your browser in ${run.ms.toFixed(0)} ms`
                : run?.state === "cancelled"
                  ? "sweep cancelled; the last complete sweep is shown"
                  : ""}
          </p>
          {run?.state === "running" && (
            <>
              <progress max={1} value={run.done} aria-label="load sweep progress" data-testid="sweep-progress" />
              <button type="button" onClick={cancel}>
                Cancel
              </button>
            </>
          )}
          {run?.state === "cancelled" && (
            <button type="button" onClick={start}>
              Run the sweep
            </button>
          )}
        </div>
        <ErrorAlert error={error} />
        {sweep && <ServeResults sweep={sweep} query={query} />}
        <ServePlanPanel query={query} catalog={catalog} onChange={onChange} />
        <ServeCurvePanel query={query} onChange={onChange} />
      </section>
    </div>
  );

  function numberField(f: (typeof NUMBER_FIELDS)[number]) {
    return (
      <label class={f.wide ? "field wide" : "field"}>
        <span>{f.label}</span>
        <input
          name={f.name}
          type="text"
          inputMode={f.wide || f.name.endsWith("tokens") || f.name === "shared-prefix" || f.name === "conversation" ? "text" : "decimal"}
          autoComplete="off"
          title={f.help}
          value={query[f.name]}
          onInput={(e) => set(f.name, e.currentTarget.value)}
        />
      </label>
    );
  }
}

function ServeResults({ sweep, query }: { sweep: ServeSweep; query: ServeQuery }) {
  const points = sweep.points;
  const detail = points.find((p) => p.ratePerSecond === Number(query.rate)) ?? points[0]!;
  const report = detail.report;
  const slo = report.slo;
  const latencyRows = (key: "ttftSeconds" | "tpotSeconds") =>
    points.flatMap((p) =>
      (["p50", "p99"] as const).flatMap((q) => {
        const v = latencyOf(p.report, key, q);
        return v === null ? [] : [{ rate: p.ratePerSecond, seconds: v, quantile: q }];
      }),
    );
  // Latency in milliseconds on the axis (tick labels stay short); log scale where it spans decades.
  const latencyOptions = (key: "ttftSeconds" | "tpotSeconds", limit: number | undefined) => {
    const rows = latencyRows(key).map((r) => ({ ...r, ms: r.seconds * 1e3 }));
    const positive = rows
      .map((r) => r.ms)
      .concat(limit === undefined ? [] : [limit * 1e3])
      .filter((v) => v > 0);
    const logScale = positive.length > 0 && Math.max(...positive) / Math.min(...positive) > 30;
    const name = key === "ttftSeconds" ? "TTFT" : "TPOT";
    return {
      height: 240,
      marginLeft: 56,
      marginRight: 20,
      x: { label: "arrival rate (requests/s) →", grid: true },
      y: {
        type: logScale ? ("log" as const) : ("linear" as const),
        label: `↑ ${name} (ms)`,
        grid: true,
        ...(logScale ? {} : { zero: true }),
      },
      color: { legend: true, domain: ["p50", "p99", "SLO"], range: ["#4e79a7", "#e15759", "#59a14f"] },
      marks: [
        Plot.line(rows, { x: "rate", y: "ms", stroke: "quantile", strokeWidth: 2 }),
        Plot.dot(rows, {
          x: "rate",
          y: "ms",
          fill: "quantile",
          r: 3,
          title: (d: { rate: number; seconds: number; quantile: string }) =>
            `${d.rate} req/s, ${name} ${d.quantile}: ${formatSeconds(d.seconds)}`,
        }),
        ...(limit === undefined
          ? []
          : [
              Plot.ruleY([limit * 1e3], { stroke: "#59a14f", strokeWidth: 2, strokeDasharray: "6 3" }),
              Plot.text([limit * 1e3], {
                y: (d: number) => d,
                text: () => `SLO ${formatSeconds(limit)}`,
                frameAnchor: "right",
                dy: -7,
                fill: "#3d7a37",
              }),
            ]),
      ],
    };
  };
  const ttftOptions = useMemo(() => latencyOptions("ttftSeconds", slo?.ttftSeconds), [sweep]);
  const tpotOptions = useMemo(() => latencyOptions("tpotSeconds", slo?.tpotSeconds), [sweep]);
  const throughputRows = points.flatMap((p) => [
    { rate: p.ratePerSecond, tokens: p.report.throughput.outputTokensPerSecond, what: "output tokens/s" },
    ...(p.report.goodput
      ? [{ rate: p.ratePerSecond, tokens: p.report.goodput.outputTokensPerSecond, what: "within the SLO (goodput)" }]
      : []),
  ]);
  const throughputOptions = useMemo(
    () => ({
      height: 240,
      marginLeft: 56,
      marginRight: 20,
      x: { label: "arrival rate (requests/s) →", grid: true },
      y: { label: "↑ tokens/s", tickFormat: (d: number) => formatCount(d, 2), grid: true },
      color: { legend: true, domain: ["output tokens/s", "within the SLO (goodput)"], range: ["#4e79a7", "#59a14f"] },
      marks: [
        Plot.ruleY([0]),
        Plot.line(throughputRows, { x: "rate", y: "tokens", stroke: "what", strokeWidth: 2 }),
        Plot.dot(throughputRows, {
          x: "rate",
          y: "tokens",
          fill: "what",
          r: 3,
          title: (d: { rate: number; tokens: number; what: string }) => `${d.rate} req/s: ${formatCount(d.tokens)} ${d.what}`,
        }),
      ],
    }),
    [sweep],
  );
  const occupancyRows = report.occupancy.series.flatMap((series, i) =>
    series.map((p) => ({ time: p.timeSeconds, fraction: p.kvCacheFraction, pool: report.pools[i]?.role ?? `pool ${i}` })),
  );
  const occupancyOptions = useMemo(
    () => ({
      height: 220,
      marginLeft: 50,
      marginRight: 20,
      x: { label: "time (s) →", grid: true },
      y: { label: "↑ KV cache in use", domain: [0, 1], tickFormat: (d: number) => `${Math.round(d * 100)}%`, grid: true },
      color: { legend: report.pools.length > 1, scheme: "tableau10" as const },
      marks: [
        Plot.ruleY([0]),
        Plot.areaY(occupancyRows, { x: "time", y: "fraction", fill: "pool", fillOpacity: 0.25 }),
        Plot.line(occupancyRows, { x: "time", y: "fraction", stroke: "pool" }),
      ],
    }),
    [sweep, query.rate],
  );
  const usd = report.cost.usdPerMillionTokens;
  const fileBase = `ultrasim-serve-${report.model.id ?? "model"}-${report.pools[0]?.systemId ?? "system"}-${detail.ratePerSecond}rps`;
  const scenarioYaml = () => stringify(servingScenarioOf(query, detail.ratePerSecond));
  const sweepCsv = () =>
    points.map((p) => ({
      ratePerSecond: p.ratePerSecond,
      completed: p.report.requests.completed,
      rejected: p.report.requests.rejected,
      ttftP50Seconds: latencyOf(p.report, "ttftSeconds", "p50") ?? "",
      ttftP99Seconds: latencyOf(p.report, "ttftSeconds", "p99") ?? "",
      tpotP50Seconds: latencyOf(p.report, "tpotSeconds", "p50") ?? "",
      tpotP99Seconds: latencyOf(p.report, "tpotSeconds", "p99") ?? "",
      e2eP99Seconds: latencyOf(p.report, "e2eSeconds", "p99") ?? "",
      outputTokensPerSecond: p.report.throughput.outputTokensPerSecond,
      goodputOutputTokensPerSecond: p.report.goodput?.outputTokensPerSecond ?? "",
      fractionMeetingSlo: p.report.goodput?.fractionMeetingSlo ?? "",
      meanKvCacheFraction: p.report.occupancy.meanKvCacheFraction,
      usdPerMillionTokens: p.report.cost.usdPerMillionTokens ?? "",
    }));
  const pct = (v: number | null | undefined) => (v === null || v === undefined ? "—" : formatPercent(v));
  const sec = (v: number | null) => (v === null ? "—" : formatSeconds(v));
  const sloText = slo
    ? [
        slo.ttftSeconds && `TTFT ≤ ${formatSeconds(slo.ttftSeconds)}`,
        slo.tpotSeconds && `TPOT ≤ ${formatSeconds(slo.tpotSeconds)}`,
        slo.e2eSeconds && `end to end ≤ ${formatSeconds(slo.e2eSeconds)}`,
      ]
        .filter(Boolean)
        .join(", ")
    : "none";

  return (
    <>
      {!report.feasible && (
        <div class="error" role="alert" data-testid="infeasible">
          This deployment cannot serve: {report.infeasibleReason}
        </div>
      )}
      <h2>
        At {detail.ratePerSecond} requests/s{" "}
        <small class="note">
          (the detail rate; {report.requests.completed} of {report.requests.total} requests completed)
        </small>
      </h2>
      <dl class="metrics">
        <Metric
          label="TTFT p50"
          value={latencyOf(report, "ttftSeconds", "p50") ?? ""}
          text={sec(latencyOf(report, "ttftSeconds", "p50"))}
          testId="ttft-p50"
        />
        <Metric
          label="TTFT p99"
          value={latencyOf(report, "ttftSeconds", "p99") ?? ""}
          text={sec(latencyOf(report, "ttftSeconds", "p99"))}
          testId="ttft-p99"
        />
        <Metric
          label="TPOT p50"
          value={latencyOf(report, "tpotSeconds", "p50") ?? ""}
          text={sec(latencyOf(report, "tpotSeconds", "p50"))}
          testId="tpot-p50"
        />
        <Metric
          label="TPOT p99"
          value={latencyOf(report, "tpotSeconds", "p99") ?? ""}
          text={sec(latencyOf(report, "tpotSeconds", "p99"))}
          testId="tpot-p99"
        />
        <Metric
          label="Output tokens/s"
          value={report.throughput.outputTokensPerSecond}
          text={formatCount(report.throughput.outputTokensPerSecond)}
          testId="output-tokens-per-second"
        />
        <Metric
          label="Meeting the SLO"
          value={report.goodput?.fractionMeetingSlo ?? ""}
          text={pct(report.goodput?.fractionMeetingSlo)}
          testId="slo-fraction"
        />
        <Metric
          label="$ per 1M tokens"
          value={usd ?? ""}
          text={usd === null ? "—" : `$${usd.toFixed(3)}`}
          testId="usd-per-million-tokens"
        />
        <Metric
          label="Load, of capacity"
          value={report.capacity?.utilization ?? ""}
          text={
            report.capacity ? `${formatPercent(report.capacity.utilization)} of ${report.capacity.requestsPerSecond.toFixed(1)} req/s` : "-"
          }
          testId="load-of-capacity"
        />
        <Metric
          label="KV cache in use (mean)"
          value={report.occupancy.meanKvCacheFraction}
          text={formatPercent(report.occupancy.meanKvCacheFraction)}
          testId="kv-cache-mean"
        />
        {report.prefixCache && (
          <Metric
            label="Prompt tokens from prefix cache"
            value={report.prefixCache.hitRate}
            text={formatPercent(report.prefixCache.hitRate)}
            testId="prefix-cache-hit-rate"
          />
        )}
      </dl>
      {(report.likely.ttftSeconds || report.likely.tpotSeconds || report.likely.outputTokensPerSecond) && (
        <p class="note" data-testid="serve-likely" title={report.likely.ttftSeconds?.basis ?? report.likely.outputTokensPerSecond?.basis}>
          Likely (80% ranges, from the held-out error of published runs on the same evidence):{" "}
          {[
            report.likely.ttftSeconds ? `mean TTFT ${sec(report.likely.ttftSeconds.low)} – ${sec(report.likely.ttftSeconds.high)}` : "",
            report.likely.tpotSeconds ? `mean TPOT ${sec(report.likely.tpotSeconds.low)} – ${sec(report.likely.tpotSeconds.high)}` : "",
            report.likely.outputTokensPerSecond
              ? `sustained output ${formatCount(report.likely.outputTokensPerSecond.low)} – ${formatCount(report.likely.outputTokensPerSecond.high)} tok/s`
              : "",
          ]
            .filter(Boolean)
            .join("; ")}
        </p>
      )}
      <p class="subtitle">
        {report.model.name} on {report.chips} chips:{" "}
        {report.pools
          .map(
            (p) =>
              `${p.role} ${p.replicas} × (tp ${p.tp}${p.tensorParallelRanks !== p.tp ? `, ${p.tensorParallelRanks} ranks` : ""}${p.pp > 1 ? ` pp ${p.pp}` : ""}${p.attentionDp > 1 ? ` dp-attention ${p.attentionDp}` : ""}${p.ep > 1 ? ` ep ${p.ep} etp ${p.etp}` : ""}) on ${p.chipId} (${p.systemId}), ${p.engine}, ${p.precision}, ${p.policy} batching up to ${p.maxBatch}`,
          )
          .join("; ")}
        . SLO: {sloText}.{usd === null && report.cost.reason ? ` $ per 1M tokens: ${report.cost.reason}.` : ""}
      </p>
      <DetailsList title="Assumptions" items={report.assumptions} testId="serve-assumptions" />
      <div class="downloads">
        <button type="button" onClick={() => download(`${fileBase}.json`, JSON.stringify(report, null, 2) + "\n", "application/json")}>
          Download JSON
        </button>
        <button type="button" onClick={() => download("ultrasim-serve-sweep.csv", toCsv(sweepCsv()), "text/csv")}>
          Download sweep CSV
        </button>
        <button
          type="button"
          onClick={() =>
            download(`${fileBase}.csv`, toCsv(flatten({ ...report, occupancy: { ...report.occupancy, series: undefined } })), "text/csv")
          }
        >
          Download CSV
        </button>
        <button type="button" onClick={() => download(`${fileBase}.yaml`, scenarioYaml(), "application/yaml")}>
          Export scenario
        </button>
      </div>
      <div class="chart-pair">
        <div>
          <h2>Time to first token against load</h2>
          <PlotFigure
            options={ttftOptions}
            label={`Time to first token against arrival rate, p50 and p99${slo?.ttftSeconds ? `, SLO ${formatSeconds(slo.ttftSeconds)}` : ""}: ${points
              .map(
                (p) =>
                  `${p.ratePerSecond}/s p50 ${sec(latencyOf(p.report, "ttftSeconds", "p50"))} p99 ${sec(latencyOf(p.report, "ttftSeconds", "p99"))}`,
              )
              .join(", ")}`}
            testId="ttft-chart"
          />
        </div>
        <div>
          <h2>Time per output token against load</h2>
          <PlotFigure
            options={tpotOptions}
            label={`Time per output token against arrival rate, p50 and p99${slo?.tpotSeconds ? `, SLO ${formatSeconds(slo.tpotSeconds)}` : ""}: ${points
              .map(
                (p) =>
                  `${p.ratePerSecond}/s p50 ${sec(latencyOf(p.report, "tpotSeconds", "p50"))} p99 ${sec(latencyOf(p.report, "tpotSeconds", "p99"))}`,
              )
              .join(", ")}`}
            testId="tpot-chart"
          />
        </div>
      </div>
      <h2>Throughput against load</h2>
      <PlotFigure
        options={throughputOptions}
        label={`Output tokens per second against arrival rate: ${points.map((p) => `${p.ratePerSecond}/s ${formatCount(p.report.throughput.outputTokensPerSecond)}`).join(", ")}`}
        testId="throughput-chart"
      />
      <div class="table-scroll">
        <table class="numbers" data-testid="sweep-table">
          <caption>The load sweep (the charts' numbers)</caption>
          <thead>
            <tr>
              <th scope="col">requests/s</th>
              <th scope="col">TTFT p50</th>
              <th scope="col">TTFT p99</th>
              <th scope="col">TPOT p50</th>
              <th scope="col">TPOT p99</th>
              <th scope="col">end to end p99</th>
              <th scope="col">output tokens/s</th>
              <th scope="col">meeting SLO</th>
              <th scope="col">KV cache (mean)</th>
              <th scope="col">$ per 1M tokens</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr data-rate={String(p.ratePerSecond)} class={p === detail ? "current" : ""}>
                <th scope="row">{p.ratePerSecond}</th>
                <td>{sec(latencyOf(p.report, "ttftSeconds", "p50"))}</td>
                <td data-testid="sweep-ttft-p99" data-value={String(latencyOf(p.report, "ttftSeconds", "p99"))}>
                  {sec(latencyOf(p.report, "ttftSeconds", "p99"))}
                </td>
                <td>{sec(latencyOf(p.report, "tpotSeconds", "p50"))}</td>
                <td>{sec(latencyOf(p.report, "tpotSeconds", "p99"))}</td>
                <td>{sec(latencyOf(p.report, "e2eSeconds", "p99"))}</td>
                <td data-testid="sweep-output-tokens" data-value={String(p.report.throughput.outputTokensPerSecond)}>
                  {formatCount(p.report.throughput.outputTokensPerSecond)}
                </td>
                <td>{pct(p.report.goodput?.fractionMeetingSlo)}</td>
                <td>{formatPercent(p.report.occupancy.meanKvCacheFraction)}</td>
                <td>{p.report.cost.usdPerMillionTokens === null ? "—" : `$${p.report.cost.usdPerMillionTokens.toFixed(3)}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>KV-cache occupancy over time at {detail.ratePerSecond} requests/s</h2>
      <PlotFigure
        options={occupancyOptions}
        label={`KV-cache blocks in use over the run at ${detail.ratePerSecond} requests/s: mean ${formatPercent(report.occupancy.meanKvCacheFraction)}, peak ${formatPercent(Math.max(0, ...occupancyRows.map((r) => r.fraction)))}`}
        testId="kv-chart"
      />
      <details>
        <summary>KV-cache occupancy as a table ({occupancyRows.length} samples)</summary>
        <div class="table-scroll">
          <table class="numbers" data-testid="kv-table">
            <caption class="sr-only">KV-cache occupancy over time</caption>
            <thead>
              <tr>
                <th scope="col">time</th>
                <th scope="col">pool</th>
                <th scope="col">KV cache in use</th>
              </tr>
            </thead>
            <tbody>
              {occupancyRows.map((r) => (
                <tr>
                  <th scope="row">{formatSeconds(r.time)}</th>
                  <td>{r.pool}</td>
                  <td>{formatPercent(r.fraction)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
      {report.rejectedRequests.length > 0 && (
        <details>
          <summary>Rejected requests ({report.requests.rejected})</summary>
          <ul>
            {report.rejectedRequests.map((r) => (
              <li>
                request {r.index}: {r.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
      <p class="provenance">Efficiencies: {report.pools.map((p) => p.efficiencyProvenance).join("; ")}</p>
    </>
  );
}
