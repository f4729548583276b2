// A figure in an energy, cost or reliability report, with where it comes from: computed by ultrasim,
// a sourced input, an estimate, or given by the user. A computed figure lists the estimates it rests
// on, so that an estimate never passes as a measured fact.
import type { Sourced } from "../catalog/schema.js";

export type FigureOrigin = "computed" | "sourced" | "estimate" | "input";

export interface Figure {
  /** null where no figure exists (e.g. no public price); `note` says why. */
  value: number | null;
  unit: string;
  from: FigureOrigin;
  /** URL or citation (sourced and estimate figures). */
  source?: string;
  /** Names of the estimates a computed figure rests on; empty when it rests on none. */
  estimates?: string[];
  note?: string;
}

/** A catalog figure: "estimate" where the data says so, else "sourced". */
export function sourcedFigure(name: string, s: Sourced, unit: string, scale = 1): Figure & { name: string } {
  return {
    name,
    value: s.value * scale,
    unit,
    from: s.estimate ? "estimate" : "sourced",
    source: s.source,
    ...(s.note ? { note: s.note } : {}),
  };
}

export function inputFigure(value: number, unit: string, note: string): Figure {
  return { value, unit, from: "input", note };
}

/** The names of the estimates behind these figures, in order, without repeats. */
export function estimatesOf(...inputs: (Figure & { name?: string })[]): string[] {
  const names: string[] = [];
  for (const f of inputs) {
    const own = f.from === "estimate" ? [f.name ?? "unnamed estimate"] : [];
    for (const n of [...own, ...(f.estimates ?? [])]) if (!names.includes(n)) names.push(n);
  }
  return names;
}

export function computedFigure(value: number | null, unit: string, inputs: (Figure & { name?: string })[], note?: string): Figure {
  return { value, unit, from: "computed", estimates: estimatesOf(...inputs), ...(note ? { note } : {}) };
}
