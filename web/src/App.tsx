// The app shell: pages, the scenario shared by them, and the URL that holds every input.
import { useEffect, useState } from "preact/hooks";
import type { TrainingScenario } from "../../src/index.ts";
import { engine } from "./engine.ts";
import { ComparePage } from "./pages/ComparePage.tsx";
import { PlaceholderPage } from "./pages/PlaceholderPage.tsx";
import { TrainPage } from "./pages/TrainPage.tsx";
import type { CatalogSummary } from "./protocol.ts";
import { pageFromParams, paramsFromScenario, scenarioFromParams, type Page } from "./urlState.ts";

const DEFAULT_COMPARE = ["trn3-ultraserver", "gb200-nvl72", "dgx-b200", "dgx-h100"];

const TITLES: Record<Page, string> = { train: "Train", compare: "Compare", serve: "Serve", reliability: "Reliability", claims: "Claims" };

interface ViewState {
  page: Page;
  scenario: TrainingScenario;
  systems: string[];
  urlError: string | null;
}

function readUrl(): ViewState {
  const params = new URLSearchParams(location.search);
  const { scenario, error } = scenarioFromParams(params);
  const systems = params.get("systems");
  return {
    page: pageFromParams(params),
    scenario,
    systems: systems === null ? DEFAULT_COMPARE : systems.split(",").filter(Boolean),
    urlError: error,
  };
}

const href = (view: ViewState, page: Page) =>
  "?" + paramsFromScenario(view.scenario, page, page === "compare" ? { systems: view.systems.join(",") } : {}).toString();

export function App() {
  const [view, setView] = useState<ViewState>(readUrl);
  const [catalog, setCatalog] = useState<CatalogSummary | null>(null);
  const [catalogError, setCatalogError] = useState<string | null>(null);

  useEffect(() => {
    engine()
      .request<CatalogSummary>({ kind: "catalog" })
      .result.then(setCatalog, (e: Error) => setCatalogError(e.message));
    const onPop = () => setView(readUrl());
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);

  // Every change is written back to the URL, so the address bar always reproduces the view.
  useEffect(() => {
    const next = href(view, view.page);
    if (next !== location.search) history.replaceState(null, "", next);
    document.title = `ultrasim · ${TITLES[view.page]}`;
  }, [view]);

  const go = (page: Page) => (e: MouseEvent) => {
    e.preventDefault();
    history.pushState(null, "", href(view, page));
    setView({ ...view, page });
  };
  const setScenario = (scenario: TrainingScenario) => setView((v) => ({ ...v, scenario, urlError: null }));

  return (
    <>
      <header class="top">
        <h1>
          ultrasim <small>training on accelerator clusters, simulated in your browser</small>
        </h1>
        <nav aria-label="Pages">
          {(Object.keys(TITLES) as Page[]).map((page) => (
            <a href={href(view, page)} aria-current={page === view.page ? "page" : undefined} onClick={go(page)}>
              {TITLES[page]}
            </a>
          ))}
        </nav>
      </header>
      <main>
        {view.urlError && (
          <div class="error" role="alert">
            The link has a bad parameter: {view.urlError}
          </div>
        )}
        {catalogError && (
          <div class="error" role="alert">
            The engine did not start: {catalogError}
          </div>
        )}
        {!catalog && !catalogError && <p role="status">Starting the engine…</p>}
        {catalog && view.page === "train" && <TrainPage scenario={view.scenario} catalog={catalog} onChange={setScenario} />}
        {catalog && view.page === "compare" && (
          <ComparePage
            scenario={view.scenario}
            systems={view.systems}
            catalog={catalog}
            onChange={setScenario}
            onSystems={(systems) => setView((v) => ({ ...v, systems }))}
          />
        )}
        {(view.page === "serve" || view.page === "reliability" || view.page === "claims") && <PlaceholderPage page={view.page} />}
      </main>
      <footer>
        Everything is computed in this browser by the same engine as the <code>ultrasim</code> command line; nothing is sent anywhere.
        Inputs live in the address bar: copy it to share this view.
      </footer>
    </>
  );
}
