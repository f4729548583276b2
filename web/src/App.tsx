// The app shell: pages, the scenario shared by them, and the URL that holds every input.
import { useEffect, useState } from "preact/hooks";
import type { TrainingScenario } from "../../src/index.ts";
import { engine } from "./engine.ts";
import { ClaimsPage } from "./pages/ClaimsPage.tsx";
import { ComparePage, type CompareLayouts } from "./pages/ComparePage.tsx";
import { PlaceholderPage } from "./pages/PlaceholderPage.tsx";
import { ReliabilityPage } from "./pages/ReliabilityPage.tsx";
import { ServePage } from "./pages/ServePage.tsx";
import { TrainPage } from "./pages/TrainPage.tsx";
import type { CatalogSummary } from "./protocol.ts";
import { DEFAULT_RELIABILITY, paramsFromReliability, reliabilityFromParams, type ReliabilityQuery } from "./reliabilityQuery.ts";
import { DEFAULT_SERVE, paramsFromServe, serveFromParams, type ServeQuery } from "./serveQuery.ts";
import { pageFromParams, paramsFromScenario, scenarioFromParams, type Page } from "./urlState.ts";

const DEFAULT_COMPARE = ["trn3-ultraserver", "gb200-nvl72", "dgx-b200", "dgx-h100"];

const TITLES: Record<Page, string> = { train: "Train", compare: "Compare", serve: "Serve", reliability: "Reliability", claims: "Claims" };

interface ViewState {
  page: Page;
  scenario: TrainingScenario;
  systems: string[];
  /** Compare: the scenario's layout on every system, or each system's best (`ultrasim compare`). */
  compareLayouts: CompareLayouts;
  reliability: ReliabilityQuery;
  serve: ServeQuery;
  urlError: string | null;
}

/**
 * The view in the address bar. Each page's parameters are its command's flags, and `chips` means one
 * count to `train` but a range to `reliability`, so only the page shown reads and writes the URL; the
 * other pages keep their inputs while the tab is open.
 */
function readUrl(): ViewState {
  const params = new URLSearchParams(location.search);
  const page = pageFromParams(params);
  const training = page === "reliability" || page === "serve" ? null : scenarioFromParams(params);
  const fresh = scenarioFromParams(new URLSearchParams());
  const systems = params.get("systems");
  return {
    page,
    scenario: (training ?? fresh).scenario,
    systems: systems === null ? DEFAULT_COMPARE : systems.split(",").filter(Boolean),
    compareLayouts: params.get("layouts") === "best" ? "best" : "same",
    reliability: page === "reliability" ? reliabilityFromParams(params) : { ...DEFAULT_RELIABILITY },
    serve: page === "serve" ? serveFromParams(params) : { ...DEFAULT_SERVE },
    urlError: training?.error ?? null,
  };
}

function href(view: ViewState, page: Page): string {
  if (page === "reliability") return "?" + paramsFromReliability(view.reliability).toString();
  if (page === "serve") return "?" + paramsFromServe(view.serve).toString();
  const compare = { systems: view.systems.join(","), ...(view.compareLayouts === "best" ? { layouts: "best" } : {}) };
  return "?" + paramsFromScenario(view.scenario, page, page === "compare" ? compare : {}).toString();
}

/** Going back to another page keeps the inputs of the pages the URL does not hold. */
function keepOthers(v: ViewState, page: Page): Partial<ViewState> {
  const kept: Partial<ViewState> = {};
  if (page !== "reliability") kept.reliability = v.reliability;
  if (page !== "serve") kept.serve = v.serve;
  if (page === "reliability" || page === "serve") kept.scenario = v.scenario;
  return kept;
}

export function App() {
  const [view, setView] = useState<ViewState>(readUrl);
  const [catalog, setCatalog] = useState<CatalogSummary | null>(null);
  const [catalogError, setCatalogError] = useState<string | null>(null);

  useEffect(() => {
    engine()
      .request<CatalogSummary>({ kind: "catalog" })
      .result.then(setCatalog, (e: Error) => setCatalogError(e.message));
    const onPop = () => setView((v) => ({ ...readUrl(), ...keepOthers(v, pageFromParams(new URLSearchParams(location.search))) }));
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
          ultrasim <small>training and inference on accelerator clusters, simulated in your browser</small>
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
            layouts={view.compareLayouts}
            onLayouts={(compareLayouts) => setView((v) => ({ ...v, compareLayouts }))}
          />
        )}
        {catalog && view.page === "reliability" && (
          <ReliabilityPage query={view.reliability} catalog={catalog} onChange={(reliability) => setView((v) => ({ ...v, reliability }))} />
        )}
        {catalog && view.page === "serve" && (
          <ServePage query={view.serve} catalog={catalog} onChange={(serve) => setView((v) => ({ ...v, serve }))} />
        )}
        {catalog && view.page === "claims" && (catalog.capabilities.claims ? <ClaimsPage /> : <PlaceholderPage page={view.page} />)}
      </main>
      <footer>
        Everything is computed in this browser by the same engine as the <code>ultrasim</code> command line; nothing is sent anywhere.
        Inputs live in the address bar: copy it to share this view.
      </footer>
    </>
  );
}
