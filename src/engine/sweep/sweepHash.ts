// A sweep's identity: SHA-256 of everything that decides its points and their results (the kind, the
// base, the axes in order, the filters, the user's catalog entries and the ultrasim version that
// computes them), not of its name or point limit. Shards and result files carry it, so results of two
// different sweeps never merge.
import { sha256Hex } from "./sha256.js";
import type { Sweep } from "./sweepFile.js";

/** JSON with object keys sorted, so equal values give equal text whatever order the file wrote them in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** `catalog`: the entries of the user's catalog files (--catalog), which decide results as much as the axes do. */
export function sweepHash(sweep: Sweep, ultrasimVersion: string, catalog: unknown[] = []): string {
  return sha256Hex(
    canonicalJson({
      format: 1,
      ultrasimVersion,
      kind: sweep.kind,
      base: sweep.base,
      axes: sweep.axes.map((a) => [a.name, a.values]),
      filters: sweep.filters,
      // Absent without a user catalog, so such sweeps keep the hash they always had.
      catalog: catalog.length ? catalog : undefined,
    }),
  );
}
