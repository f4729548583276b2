// The load generators behind the inference groups (data/benchmark-clients.json): how each spaces the
// requests it sends at a rate, and how a closed-loop client draws its lengths and what it reports. A
// case's mode "server" says only the rate; MLPerf's LoadGen sends them as a Poisson process, guidellm's
// sweep evenly spaced, and near saturation the difference is most of the queueing (a Poisson stream at
// 90% load waits several service times; an even one none). A case's mode "concurrency" says only the
// clients and the nominal lengths; vLLM's benchmark_serving draws each length uniformly below the
// nominal one and averages every request it sent, the first round's burst of prompts included.
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import data from "../../../data/benchmark-clients.json" with { type: "json" };

const RateArrivals = Type.Union([Type.Literal("poisson"), Type.Literal("constant")]);
export type RateArrivals = Static<typeof RateArrivals>;

export const BenchmarkClients = Type.Object(
  {
    note: Type.String(),
    clients: Type.Array(
      Type.Object(
        {
          id: Type.String({ minLength: 1 }),
          name: Type.String({ minLength: 1 }),
          rateArrivals: Type.Optional(
            Type.Object(
              { value: RateArrivals, source: Type.String({ minLength: 1 }), note: Type.Optional(Type.String()) },
              { additionalProperties: false },
            ),
          ),
          closedLoop: Type.Optional(
            Type.Object(
              {
                /** Requests each client sends (the run's count over its clients). */
                requestsPerClient: Type.Integer({ minimum: 2 }),
                /** Which requests the reported latencies and throughput cover (scenario.ts, closed-loop measure). */
                measure: Type.Union([Type.Literal("steady-state"), Type.Literal("whole-run")]),
                source: Type.String({ minLength: 1 }),
                note: Type.Optional(Type.String()),
              },
              { additionalProperties: false },
            ),
          ),
          randomLengths: Type.Optional(
            Type.Object(
              {
                /** Each prompt and answer length uniform in [floor(minRatio x nominal), nominal]. */
                minRatio: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
                source: Type.String({ minLength: 1 }),
                note: Type.Optional(Type.String()),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    /** Which client each open group's runs came from, and how that is known. */
    groups: Type.Record(
      Type.String(),
      Type.Object(
        {
          client: Type.String({ minLength: 1 }),
          source: Type.String({ minLength: 1 }),
          /**
           * How the group's server admitted requests to its KV cache, where its own figures show it and
           * its engine's default did not run (the harness is the group's, not the load generator's).
           */
          kvAdmission: Type.Optional(
            Type.Object(
              {
                value: Type.Union([Type.Literal("on-demand"), Type.Literal("reserve")]),
                source: Type.String({ minLength: 1 }),
                note: Type.Optional(Type.String()),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type BenchmarkClients = Static<typeof BenchmarkClients>;

export const BUILTIN_BENCHMARK_CLIENTS = data as BenchmarkClients;

const clientOf = (group: string, clients: BenchmarkClients) => clients.clients.find((c) => c.id === clients.groups[group]?.client);

/** How a group's load generator spaced requests sent at a rate: its client's, else Poisson. */
export function rateArrivalsOf(group: string, clients: BenchmarkClients = BUILTIN_BENCHMARK_CLIENTS): RateArrivals {
  return clientOf(group, clients)?.rateArrivals?.value ?? "poisson";
}

/** How a group's closed-loop client runs (requests per client, what it reports), where known. */
export function closedLoopOf(group: string, clients: BenchmarkClients = BUILTIN_BENCHMARK_CLIENTS) {
  const c = clientOf(group, clients)?.closedLoop;
  return c ? { requestsPerClient: c.requestsPerClient, measure: c.measure } : null;
}

/** The fraction of a nominal length below which a group's client draws none (uniform up to the nominal), where it draws them. */
export function randomLengthsMinRatioOf(group: string, clients: BenchmarkClients = BUILTIN_BENCHMARK_CLIENTS): number | null {
  return clientOf(group, clients)?.randomLengths?.minRatio ?? null;
}

/** How a group's server admitted requests to its KV cache, where the data says; else its engine's default. */
export function kvAdmissionOf(group: string, clients: BenchmarkClients = BUILTIN_BENCHMARK_CLIENTS): "on-demand" | "reserve" | null {
  return clients.groups[group]?.kvAdmission?.value ?? null;
}

/** Whether the data file is well formed and every group names a listed client (the tests check it). */
export function benchmarkClientsProblems(clients: unknown): string[] {
  if (!Value.Check(BenchmarkClients, clients)) return [...Value.Errors(BenchmarkClients, clients)].map((e) => `${e.path}: ${e.message}`);
  const ids = new Set(clients.clients.map((c) => c.id));
  return Object.entries(clients.groups)
    .filter(([, g]) => !ids.has(g.client))
    .map(([group, g]) => `groups.${group}.client: '${g.client}' is not a listed client`);
}
