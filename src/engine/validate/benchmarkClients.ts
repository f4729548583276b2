// The load generators behind the open inference groups (data/benchmark-clients.json): how each spaces
// the requests it sends at a rate. A case's mode "server" says only the rate; MLPerf's LoadGen sends
// them as a Poisson process, guidellm's sweep evenly spaced, and near saturation the difference is
// most of the queueing (a Poisson stream at 90% load waits several service times; an even one none).
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
          rateArrivals: Type.Object(
            { value: RateArrivals, source: Type.String({ minLength: 1 }), note: Type.Optional(Type.String()) },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
    ),
    /** Which client each open group's runs came from, and how that is known. */
    groups: Type.Record(
      Type.String(),
      Type.Object({ client: Type.String({ minLength: 1 }), source: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type BenchmarkClients = Static<typeof BenchmarkClients>;

export const BUILTIN_BENCHMARK_CLIENTS = data as BenchmarkClients;

/** How a group's load generator spaced requests sent at a rate: its client's, else Poisson. */
export function rateArrivalsOf(group: string, clients: BenchmarkClients = BUILTIN_BENCHMARK_CLIENTS): RateArrivals {
  const id = clients.groups[group]?.client;
  return clients.clients.find((c) => c.id === id)?.rateArrivals.value ?? "poisson";
}

/** Whether the data file is well formed and every group names a listed client (the tests check it). */
export function benchmarkClientsProblems(clients: unknown): string[] {
  if (!Value.Check(BenchmarkClients, clients)) return [...Value.Errors(BenchmarkClients, clients)].map((e) => `${e.path}: ${e.message}`);
  const ids = new Set(clients.clients.map((c) => c.id));
  return Object.entries(clients.groups)
    .filter(([, g]) => !ids.has(g.client))
    .map(([group, g]) => `groups.${group}.client: '${g.client}' is not a listed client`);
}
