// Speed of the serving simulation: 100,000 requests on one replica group (8 replicas of Llama 3.1 8B
// on a DGX H100, continuous batching, Poisson arrivals). Must finish under 5 s.
//   npm run build && node dist/bench/serve.js
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { predictServing } from "../src/engine/serve/serve.js";
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
const start = performance.now();
const { report } = predictServing(scenario, builtinCatalog());
const seconds = (performance.now() - start) / 1000;
console.log(
  `serve: ${report.requests.completed} requests, ${report.iterations} iterations in ${seconds.toFixed(2)} s wall ` +
    `(${Math.round(report.requests.completed / seconds)} requests/s simulated); ${Math.round(report.throughput.outputTokensPerSecond)} output tok/s predicted` +
    (seconds < 5 ? "" : "  SLOWER THAN THE 5 s BAR"),
);
if (seconds >= 5) process.exitCode = 1;
