// The largest value each input may take, and why (data/bounds.json). A physical bound is hard: no
// system, model or run comes near it. A work bound stops a command before it starts on more than it
// can finish in reasonable time, and names the flag that lifts it.
import bounds from "../../data/bounds.json" with { type: "json" };
import { UltrasimError } from "./errors.js";

export type BoundName = keyof typeof bounds.bounds;

export interface Bound {
  max: number;
  kind: "physical" | "work";
  unit: string;
  reason: string;
  source: string;
}

/** The flag that lifts every work bound. */
export const FORCE_FLAG = bounds.flag;

export function bound(name: BoundName): Bound {
  return bounds.bounds[name] as Bound;
}

// Schemas carry their bound as `$comment: "bound <name>"` (a standard JSON Schema keyword every
// validator ignores) so that the error for a value past `maximum` can give the reason.
const COMMENT_PREFIX = "bound ";

/** Schema options for an integer or number at most the named bound. */
export function bounded(name: BoundName): { maximum: number; $comment: string } {
  return { maximum: bound(name).max, $comment: `${COMMENT_PREFIX}${name}: ${bound(name).reason}` };
}

/** The bound a schema carries, if any. */
export function boundOfSchema(schema: unknown): Bound | undefined {
  const members = (schema as { anyOf?: unknown[] } | undefined)?.anyOf;
  if (members) return members.map(boundOfSchema).find((b) => b !== undefined);
  const comment = (schema as { $comment?: unknown } | undefined)?.$comment;
  if (typeof comment !== "string" || !comment.startsWith(COMMENT_PREFIX)) return undefined;
  const name = comment.slice(COMMENT_PREFIX.length).split(":")[0] as BoundName;
  return name in bounds.bounds ? bound(name) : undefined;
}

const count = (n: number) => (Number.isFinite(n) && Math.abs(n) <= 1e18 ? n.toLocaleString("en-US") : String(n));

/** "must be at most 10,000,000 chips, got 1e+308: 10x the largest cluster announced ...". */
export function boundMessage(b: Bound, value: unknown): string {
  return `must be at most ${count(b.max)} ${b.unit}, got ${typeof value === "number" ? count(value) : String(value)}: ${b.reason}`;
}

/** Refuse `value` past a physical bound. */
export function checkBound(name: BoundName, value: number, field: string): number {
  const b = bound(name);
  if (!(value <= b.max)) throw new UltrasimError("INVALID_INPUT", boundMessage(b, value), { field });
  return value;
}

/** Refuse more work than the named work bound, before it starts, unless forced. */
export function checkWork(name: BoundName, amount: number, field: string, force: boolean, what = ""): void {
  const b = bound(name);
  if (force || amount <= b.max) return;
  throw new UltrasimError(
    "INVALID_INPUT",
    `${count(amount)} ${b.unit}${what} is more than the limit of ${count(b.max)} (${b.reason}); pass ${FORCE_FLAG} to run it anyway`,
    { field },
  );
}
