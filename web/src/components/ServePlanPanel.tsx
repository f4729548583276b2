// `ultrasim serve plan` in the browser: the deployments of the Serve page's model on its system, or on
// the systems ticked (tensor and pipeline parallelism, attention data parallelism, replicas, batch
// limit) under the default chip budget, each simulated on the page's traffic at its detail rate, those
// meeting the SLO first, by output tokens/s per chip or by dollars per token. A long search: it reports
// progress and can be cancelled.
import { DEFAULT_SERVING_PLAN_MAX_CHIPS, type PlanCandidate } from "../../../src/index.ts";
import { download } from "../download.ts";
import { useOnDemand } from "../useOnDemand.ts";
import { RunProgress } from "./RunProgress.tsx";
import { formatCount, formatSeconds } from "../format.ts";
import type { CatalogSummary, ServePlanAnswer } from "../protocol.ts";
import type { ServeQuery } from "../serveQuery.ts";

/** Rows shown: the best deployments, then the table says how many more were simulated. */
const SHOWN = 10;

export function ServePlanPanel({
  query,
  catalog,
  onChange,
}: {
  query: ServeQuery;
  catalog: CatalogSummary;
  onChange: (q: ServeQuery) => void;
}) {
  const { done, answer: plan, message, run } = useOnDemand<ServePlanAnswer>("Search cancelled.");
  const search = () => run({ kind: "servePlan", query });

  const systems = query["plan-systems"]
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  const tick = (id: string, on: boolean) =>
    onChange({
      ...query,
      "plan-systems": (on ? [...systems, id] : systems.filter((x) => x !== id)).filter((v, i, a) => a.indexOf(v) === i).join(","),
    });
  const flags = `${systems.length ? ` --systems ${systems.join(",")}` : ""}${query.objective !== "throughput" ? ` --objective ${query.objective}` : ""}`;

  const use = (c: PlanCandidate) =>
    onChange({
      ...query,
      system: c.pool.system,
      engine: c.pool.engine ?? "",
      tp: String(c.pool.tp),
      pp: String(c.pool.pp ?? 1),
      "attention-dp": String(c.pool.attentionDp ?? 1),
      ep: String(c.pool.ep ?? 1),
      replicas: String(c.pool.replicas),
      "max-batch": String(c.pool.batching.maxBatch),
    });

  return (
    <section class="planner" aria-label="Deployment search">
      <h2>Best deployment</h2>
      <div class="downloads">
        <button type="button" disabled={done !== null} onClick={() => void search()}>
          Find the best deployment
        </button>
        {done !== null && <RunProgress done={done} label="deployment search progress" testId="serve-plan-progress" />}
        {plan && (
          <button
            type="button"
            onClick={() => download("ultrasim-serve-plan.json", JSON.stringify(plan, null, 2) + "\n", "application/json")}
          >
            Download JSON
          </button>
        )}
      </div>
      <fieldset class="systems">
        <legend>Systems to search (none ticked: this page&apos;s)</legend>
        {catalog.systems.map((x) => (
          <label class="check">
            <input
              type="checkbox"
              name={`plan-system-${x.id}`}
              checked={systems.includes(x.id)}
              onChange={(e) => tick(x.id, e.currentTarget.checked)}
            />
            <span>
              {x.name} <small>({x.id})</small>
            </span>
          </label>
        ))}
      </fieldset>
      <label class="field">
        <span>Rank by</span>
        <select name="objective" value={query.objective} onChange={(e) => onChange({ ...query, objective: e.currentTarget.value })}>
          <option value="throughput">output tokens/s per chip</option>
          <option value="cost">$ per 1M output tokens</option>
        </select>
      </label>
      <p class="note">
        As <code>ultrasim serve plan scenario.yaml{flags}</code>: tensor and pipeline parallelism, replicas and batch limit searched on{" "}
        {systems.length ? "those systems" : "this system"} within {DEFAULT_SERVING_PLAN_MAX_CHIPS} chips, each simulated on this traffic at{" "}
        {query.rate} requests/s; those meeting the SLO first, by{" "}
        {query.objective === "cost" ? "dollars per 1M output tokens (a system without a price last)" : "output tokens/s per chip"}.
      </p>
      {message && (
        <p class="note" role="status">
          {message}
        </p>
      )}
      {plan && (
        <>
          {plan.notes.map((note) => (
            <p class="note" role="note">
              {note}
            </p>
          ))}
          <div class="table-scroll">
            <table class="numbers" data-testid="serve-plan-table">
              <caption>
                {plan.best ? "Deployments meeting the SLO first" : "No deployment meets the SLO"}: {Math.min(SHOWN, plan.candidates.length)}{" "}
                of {plan.candidates.length} simulated
              </caption>
              <thead>
                <tr>
                  <th scope="col">deployment</th>
                  <th scope="col">chips</th>
                  <th scope="col">SLO</th>
                  <th scope="col">output tokens/s</th>
                  <th scope="col">per chip</th>
                  <th scope="col">p90 TTFT</th>
                  <th scope="col">p90 TPOT</th>
                  <th scope="col">$ per 1M output tokens</th>
                  <th scope="col">
                    <span class="sr-only">use</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {plan.candidates.slice(0, SHOWN).map((c) => (
                  <tr>
                    <th scope="row">
                      {c.pool.system}, {c.engine}: {c.pool.replicas} × tp {c.pool.tp}
                      {(c.pool.pp ?? 1) > 1 ? ` pp ${c.pool.pp}` : ""}
                      {(c.pool.attentionDp ?? 1) > 1 ? ` attention-dp ${c.pool.attentionDp}` : ""}, max batch {c.pool.batching.maxBatch}
                    </th>
                    <td>{c.chips}</td>
                    <td class={c.meetsSlo ? "" : "bad"}>{c.meetsSlo ? "meets" : c.reason}</td>
                    <td data-testid="serve-plan-output-tokens" data-value={c.outputTokensPerSecond}>
                      {formatCount(c.outputTokensPerSecond)}
                    </td>
                    <td>{formatCount(c.outputTokensPerSecondPerChip)}</td>
                    <td>{c.ttftP90Seconds === null ? "—" : formatSeconds(c.ttftP90Seconds)}</td>
                    <td>{c.tpotP90Seconds === null ? "—" : formatSeconds(c.tpotP90Seconds)}</td>
                    <td title={c.costReason ?? undefined}>
                      {c.usdPerMillionOutputTokens === null ? "no public price" : `$${c.usdPerMillionOutputTokens.toFixed(2)}`}
                    </td>
                    <td>
                      <button type="button" class="link" onClick={() => use(c)}>
                        use
                      </button>
                    </td>
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
