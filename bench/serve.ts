// Speed of the serving simulation: 100,000 requests on one replica group (8 replicas of Llama 3.1 8B
// on a DGX H100, continuous batching, Poisson arrivals). The bar is 5 s; the time depends on the machine
// and its load, so it is reported as a figure and a ratio to the bar and never fails the run (so that
// `npm run bench` goes on to the sweep bench). Only a wrong result fails: requests lost or no output.
//   npm run build && node dist/bench/serve.js
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { resolvePool } from "../src/engine/serve/deployment.js";
import { predictServing, scenarioRequests } from "../src/engine/serve/serve.js";
import { simulateServing } from "../src/engine/serve/simulate.js";
import { simulateServing as simulatePrevious } from "./previousSimulate.js";
import type { ServingScenario } from "../src/engine/serve/scenario.js";

const scenario: ServingScenario = {
  schemaVersion: 1,
  model: "llama3.1-8b",
  deployment: { system: "dgx-h100", precision: "fp8", tp: 1, replicas: 8, batching: { policy: "continuous", maxBatch: 256 } },
  traffic: {
    requests: 100_000,
    arrival: { kind: "poisson", ratePerSecond: 150 },
    inputTokens: { distribution: "lognormal", mean: 512, sigma: 0.6, max: 4096 },
    outputTokens: { distribution: "lognormal", mean: 256, sigma: 0.6, max: 2048 },
  },
  seed: 1,
};
// The bar, 5 s; ULTRASIM_SERVE_BENCH_BAR_SECONDS sets another (a test sets one no run can meet).
const BAR_SECONDS = Number(process.env.ULTRASIM_SERVE_BENCH_BAR_SECONDS ?? 5);
const catalog = builtinCatalog();
const start = performance.now();
const { report } = predictServing(scenario, catalog);
const seconds = (performance.now() - start) / 1000;
console.log(
  `serve: ${report.requests.completed} requests, ${report.iterations} iterations in ${seconds.toFixed(2)} s wall ` +
    `(${Math.round(report.requests.completed / seconds)} requests/s simulated); ${Math.round(report.throughput.outputTokensPerSecond)} output tok/s predicted` +
    `; ${(seconds / BAR_SECONDS).toFixed(2)}x the ${BAR_SECONDS} s bar` +
    (seconds < BAR_SECONDS ? "" : " (timings vary with the machine's load: not a failure)"),
);
// A wrong result is a failure; a slow one is not.
if (report.requests.completed !== scenario.traffic.requests || !(report.throughput.outputTokensPerSecond > 0)) {
  console.error(`serve bench: expected ${scenario.traffic.requests} completed requests with output, got ${report.requests.completed}`);
  process.exitCode = 1;
}

// The event loop alone, now and before its schedulers became policies (bench/previousSimulate.ts), on
// the same pool and requests, in this run: the ratio is what the policies cost or save.
const model = catalog.model(scenario.model as string);
const requests = scenarioRequests(scenario);
const pool = resolvePool(scenario.deployment!, "colocated", model, catalog, "deployment").runtime;
const timed = (run: () => { finishSeconds: Float64Array; iterations?: number }) => {
  const t0 = performance.now();
  const result = run();
  return {
    seconds: (performance.now() - t0) / 1000,
    finished: result.finishSeconds.filter((x) => !Number.isNaN(x)).length,
    iterations: result.iterations ?? 0,
  };
};
const now = timed(() => simulateServing({ pools: [pool], requests, maxContextTokens: model.maxContext ?? Infinity, seriesPoints: 1 }));
const before = timed(() =>
  simulatePrevious({
    pools: [{ ...pool, policy: "continuous" }],
    requests,
    maxContextTokens: model.maxContext ?? Infinity,
    seriesPoints: 1,
  }),
);
console.log(
  `serve event loop: ${now.seconds.toFixed(2)} s now, ${before.seconds.toFixed(2)} s before the scheduler policies (${(now.seconds / before.seconds).toFixed(2)}x); ` +
    `${now.finished} and ${before.finished} requests finished`,
);
if (now.finished !== before.finished) {
  console.error("serve bench: the two event loops finished different numbers of requests");
  process.exitCode = 1;
}

// Prefix caching: the same requests, each opening with one of 16 shared prefixes of 256 tokens, with
// the cache and without it, in this run. The ratio is the cache's bookkeeping together with the work
// it saves the simulated deployment (fewer prompt tokens, shorter iterations, fewer of them queued).
const shared = requests.map((r, i) => ({ ...r, prefixGroup: i % 16, prefixTokens: 256 }));
const cachedPool = { ...pool, prefixCaching: true };
const cached = timed(() =>
  simulateServing({ pools: [cachedPool], requests: shared, maxContextTokens: model.maxContext ?? Infinity, seriesPoints: 1 }),
);
const uncached = timed(() =>
  simulateServing({
    pools: [{ ...cachedPool, prefixCaching: false }],
    requests: shared,
    maxContextTokens: model.maxContext ?? Infinity,
    seriesPoints: 1,
  }),
);
console.log(
  `serve with shared prefixes: ${cached.seconds.toFixed(2)} s with the prefix cache (${cached.iterations} iterations), ` +
    `${uncached.seconds.toFixed(2)} s without (${uncached.iterations}): ${(cached.seconds / uncached.seconds).toFixed(2)}x, ` +
    `${(cached.seconds / cached.iterations / (uncached.seconds / uncached.iterations)).toFixed(2)}x per iteration; ` +
    `${cached.finished} and ${uncached.finished} requests finished`,
);
if (cached.finished !== shared.length || uncached.finished !== shared.length) {
  console.error("serve bench: a shared-prefix run lost requests");
  process.exitCode = 1;
}
