// The scenario's inputs: each a labelled control bound to one CLI flag / URL parameter.
import { PLACEMENTS, type TrainingScenario } from "../../../src/index.ts";
import type { CatalogSummary } from "../protocol.ts";
import { getPath, parseParam, SCENARIO_PARAMS, setPath, type ScenarioParam } from "../urlState.ts";
import { formatChips, formatCount, formatGB } from "../format.ts";

export interface FormProps {
  scenario: TrainingScenario;
  catalog: CatalogSummary;
  onChange: (next: TrainingScenario) => void;
  /** Fields not shown (the Compare page picks systems itself). */
  hide?: ScenarioParam[];
  /** Whether the layout is asked for: not where the planner picks it (Compare at each system's best). */
  layout?: boolean;
}

const HELP: Partial<Record<ScenarioParam, string>> = {
  chips: "accelerators in total",
  "global-batch": "sequences per optimizer step",
  "micro-batch": "sequences per micro-batch",
  "seq-len": "tokens per sequence",
  tp: "tensor-parallel degree",
  pp: "pipeline-parallel degree",
  dp: "data-parallel degree",
  cp: "context-parallel degree",
  ep: "expert-parallel degree",
  etp: "expert tensor-parallel degree (empty: = tp)",
  vpp: "virtual stages per pipeline rank",
  "expert-imbalance": "MoE: tokens routed to the busiest expert-parallel rank over the mean (empty: 1, balanced)",
};

const LABELS: Partial<Record<ScenarioParam, string>> = {
  chips: "Chips",
  "global-batch": "Global batch",
  "micro-batch": "Micro-batch",
  "seq-len": "Sequence length",
  tp: "TP",
  pp: "PP",
  dp: "DP",
  cp: "CP",
  ep: "EP",
  etp: "ETP",
  vpp: "VPP",
  "recompute-layers": "Recomputed layers",
  "expert-imbalance": "Expert load imbalance",
};

export function ScenarioForm({ scenario, catalog, onChange, hide = [], layout = true }: FormProps) {
  const set = (name: ScenarioParam, value: unknown) => onChange(setPath(structuredClone(scenario), SCENARIO_PARAMS[name].path, value));
  const numberField = (name: ScenarioParam) => {
    if (hide.includes(name)) return null;
    const value = getPath(scenario, SCENARIO_PARAMS[name].path);
    const nullable = name === "etp" || name === "vpp" || name === "recompute-layers";
    // Absent rather than null: balanced routing.
    const optional = name === "expert-imbalance";
    return (
      <label class="field">
        <span>{LABELS[name] ?? name}</span>
        <input
          name={name}
          type="text"
          inputMode="numeric"
          autoComplete="off"
          value={value === null || value === undefined ? "" : String(value)}
          title={HELP[name]}
          placeholder={nullable ? { etp: "= tp", vpp: "1", "recompute-layers": "all" }[name as string] : optional ? "1" : ""}
          onInput={(e) => {
            const text = e.currentTarget.value;
            const empty = text.trim() === "";
            set(name, nullable && empty ? null : optional && empty ? undefined : parseParam(name, text));
          }}
        />
      </label>
    );
  };
  const modelId = typeof scenario.model === "string" ? scenario.model : "";
  const system = catalog.systems.find((s) => s.id === scenario.system.id);
  const p = scenario.parallelism;
  // The framework the engine will use: the scenario's, else the system's default (its chip's).
  const framework = catalog.frameworks.find((f) => f.id === (scenario.framework ?? system?.defaultFramework));
  // Frameworks of the system's runtime (its default's) that run on its chip: the engine refuses the
  // others. A named one that does not (a link may hold it) stays listed, and the engine's message says why.
  const runtime = catalog.frameworks.find((f) => f.id === system?.defaultFramework)?.runtime;
  const runsHere = (f: CatalogSummary["frameworks"][number]) =>
    (runtime === undefined || f.runtime === runtime) && (f.chips === null || system === undefined || f.chips.includes(system.chip));
  const frameworkChoices = catalog.frameworks.filter((f) => runsHere(f) || f.id === scenario.framework);
  const zeroStages = framework?.zeroStages ?? [0, 1, 2, 3];
  const frameworkName = (id: string | undefined) => catalog.frameworks.find((f) => f.id === id)?.name.split(" (")[0] ?? id ?? "?";
  const product = [p.tp, p.pp, p.cp, p.dp].every((d) => typeof d === "number") ? p.tp * p.pp * p.cp * p.dp : NaN;
  return (
    <form class="scenario-form" onSubmit={(e) => e.preventDefault()} aria-label="Scenario">
      <fieldset>
        <legend>Workload</legend>
        <label class="field wide">
          <span>Model</span>
          <select name="model" value={modelId} onChange={(e) => onChange({ ...structuredClone(scenario), model: e.currentTarget.value })}>
            {modelId === "" && <option value="">{typeof scenario.model === "object" ? `${scenario.model.name} (from file)` : ""}</option>}
            {catalog.models.map((m) => (
              <option value={m.id}>
                {m.name} ({formatCount(m.parameters)} params)
              </option>
            ))}
          </select>
        </label>
        {!hide.includes("system") && (
          <label class="field wide">
            <span>System</span>
            <select name="system" value={scenario.system.id} onChange={(e) => set("system", e.currentTarget.value)}>
              {catalog.systems.map((s) => (
                <option value={s.id}>
                  {s.name} ({formatChips(s.chipsPerSystem, catalog.chips.find((c) => c.id === s.chip)?.name ?? s.chip)},{" "}
                  {formatGB(s.hbmBytes)})
                </option>
              ))}
            </select>
          </label>
        )}
        {numberField("chips")}
        {numberField("global-batch")}
        {layout && numberField("micro-batch")}
        {numberField("seq-len")}
        <label class="field">
          <span>Precision</span>
          <select name="precision" value={scenario.run.precision} onChange={(e) => set("precision", e.currentTarget.value)}>
            {catalog.precisions.map((x) => (
              <option value={x}>{x}</option>
            ))}
          </select>
        </label>
        {!layout && numberField("expert-imbalance")}
      </fieldset>
      {layout && (
        <fieldset>
          <legend>Layout</legend>
          {numberField("tp")}
          {numberField("pp")}
          {numberField("dp")}
          {numberField("cp")}
          {numberField("ep")}
          {numberField("etp")}
          {numberField("expert-imbalance")}
          {numberField("vpp")}
          {/* Labelled by id, not by wrapping: a wrapping label's text would include every option's. */}
          <div class="field wide">
            <label for="scenario-framework">Framework</label>
            <select
              id="scenario-framework"
              name="framework"
              value={scenario.framework ?? ""}
              onChange={(e) => {
                const next = structuredClone(scenario);
                if (e.currentTarget.value === "") delete next.framework;
                else next.framework = e.currentTarget.value;
                onChange(next);
              }}
            >
              <option value="">default: {frameworkName(system?.defaultFramework)}</option>
              {frameworkChoices.map((f) => (
                <option value={f.id}>{f.name}</option>
              ))}
            </select>
          </div>
          <label class="field">
            <span>ZeRO</span>
            <select name="zero" value={String(p.zero)} onChange={(e) => set("zero", Number(e.currentTarget.value))}>
              {[0, 1, 2, 3].map((z) => (
                // A stage the framework does not offer stays visible (a link may hold it) but cannot be picked.
                <option
                  value={String(z)}
                  disabled={!zeroStages.includes(z)}
                  title={zeroStages.includes(z) ? undefined : `not offered by ${frameworkName(framework?.id)}`}
                >
                  {z}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>Recompute</span>
            <select
              name="recompute"
              value={p.recompute ?? "null"}
              onChange={(e) => set("recompute", e.currentTarget.value === "null" ? null : e.currentTarget.value)}
            >
              {catalog.recompute.map((r) => (
                <option value={r}>{r}</option>
              ))}
              <option value="null">least that fits</option>
            </select>
          </label>
          {numberField("recompute-layers")}
          <label class="field">
            <span>Rank order</span>
            <select
              name="placement"
              value={p.placement ?? PLACEMENTS[0]}
              title="which groups share a scale-up domain, innermost first"
              onChange={(e) => set("placement", e.currentTarget.value)}
            >
              {PLACEMENTS.map((x) => (
                <option value={x}>{x}</option>
              ))}
            </select>
          </label>
          <label class="field check">
            <input
              name="sp"
              type="checkbox"
              checked={p.sequenceParallel}
              onChange={(e) => onChange(setPath(structuredClone(scenario), "parallelism.sequenceParallel", e.currentTarget.checked))}
            />
            <span>Sequence parallel</span>
          </label>
          <p class="hint" data-testid="layout-hint">
            tp·pp·cp·dp = {Number.isFinite(product) ? product : "?"}
            {Number.isFinite(product) && product !== scenario.system.chips ? ` ≠ ${scenario.system.chips} chips` : ""}
            {system ? ` · ${system.chipsPerSystem} chips per ${system.name}` : ""}
          </p>
        </fieldset>
      )}
    </form>
  );
}
