// Heterogeneous serving: prefill on one chip type, decode on the other, with the KV cache moving over
// the NVLink Fusion domain they share or over the scale-out network (EFA). The serving simulator does
// the work (predictServing, disaggregated pools); this runs both links and reports the difference.
import type { Catalog } from "../catalog/catalog.js";
import type { PoolSpec, ServingScenario } from "../serve/scenario.js";
import { predictServing } from "../serve/serve.js";
import type { ServingReport } from "../serve/servingReport.js";

export interface HeteroServingRequest {
  scenario: Omit<ServingScenario, "deployment" | "disaggregated">;
  prefill: PoolSpec;
  decode: PoolSpec;
}

export interface HeteroServing {
  overFusion: ServingReport;
  overScaleOut: ServingReport;
  /** p90 time to first token, NVLink Fusion over EFA (below 1: the shared domain helps). */
  ttftP90Ratio: number | null;
}

export function predictHeteroServing(request: HeteroServingRequest, catalog: Catalog): HeteroServing {
  const run = (kvLink: "scale-up" | "scale-out") =>
    predictServing({ ...request.scenario, disaggregated: { prefill: request.prefill, decode: request.decode, kvLink } }, catalog, {
      seriesPoints: 1,
    }).report;
  const overFusion = run("scale-up");
  const overScaleOut = run("scale-out");
  const a = overFusion.latency.ttftSeconds?.p90;
  const b = overScaleOut.latency.ttftSeconds?.p90;
  return { overFusion, overScaleOut, ttftP90Ratio: a !== undefined && b ? a / b : null };
}
