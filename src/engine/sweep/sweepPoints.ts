// The points of a sweep in a fixed order: every combination of the axes' values, the first axis
// varying slowest and the last fastest (like nested loops in file order), less those a filter drops.
// Point i is the i-th point kept, so a point number means the same scenario on every machine.
import { UltrasimError } from "../errors.js";
import type { CompiledFilter } from "./filterExpression.js";
import type { Sweep } from "./sweepFile.js";

/** Combinations of the axes' values before filtering. */
export function productSize(sweep: Sweep): number {
  return sweep.axes.reduce((n, axis) => n * axis.values.length, 1);
}

/** Each axis' value at a position in the product (mixed radix, last axis fastest). */
export function axisValuesAt(sweep: Sweep, productIndex: number): unknown[] {
  const values = new Array<unknown>(sweep.axes.length);
  let rest = productIndex;
  for (let a = sweep.axes.length - 1; a >= 0; a--) {
    const axis = sweep.axes[a]!;
    values[a] = axis.values[rest % axis.values.length];
    rest = Math.floor(rest / axis.values.length);
  }
  return values;
}

/** Copy `target` along `path` only, with `value` set at its end: the base is shared, never mutated. */
function withPath(target: Record<string, unknown>, keys: string[], value: unknown): Record<string, unknown> {
  const [key, ...rest] = keys;
  const child = target[key!];
  return {
    ...target,
    [key!]:
      rest.length === 0
        ? value
        : withPath(typeof child === "object" && child !== null ? (child as Record<string, unknown>) : {}, rest, value),
  };
}

/** The scenario of one point: the base with every axis' value set at its field path. */
export function pointScenario(sweep: Sweep, values: unknown[]): Record<string, unknown> {
  let point = sweep.base;
  sweep.axes.forEach((axis, a) => (point = withPath(point, axis.name.split("."), values[a])));
  return point;
}

/** The value at a dotted path of a point (undefined where absent). */
export function readPath(point: Record<string, unknown>, path: string): unknown {
  let node: unknown = point;
  for (const key of path.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

export interface PointList {
  /** Product position of each point kept, in point order. */
  productIndices: number[];
  productSize: number;
  filteredOut: number;
}

export class FilterFailure extends UltrasimError {
  constructor(
    readonly filterIndex: number,
    cause: UltrasimError,
  ) {
    super(cause.code, cause.message);
  }
}

/**
 * Every point kept by the filters, in order; an error as soon as there are more than `maxPoints`
 * (before any is run). A filter's type error names the filter (FilterFailure).
 */
export function enumeratePoints(sweep: Sweep, filters: CompiledFilter[], maxPoints: number): PointList {
  const size = productSize(sweep);
  const productIndices: number[] = [];
  const tooMany = (atLeast: boolean, count: number) =>
    new UltrasimError(
      "INVALID_INPUT",
      `the sweep has ${atLeast ? "more than " : ""}${count.toLocaleString("en-US")} points, over the limit of ${maxPoints.toLocaleString("en-US")}: narrow the axes, add filters, or raise maxPoints (--max-points)`,
      { field: "maxPoints" },
    );
  if (filters.length === 0) {
    if (size > maxPoints) throw tooMany(false, size);
    for (let i = 0; i < size; i++) productIndices.push(i);
    return { productIndices, productSize: size, filteredOut: 0 };
  }
  for (let i = 0; i < size; i++) {
    const point = pointScenario(sweep, axisValuesAt(sweep, i));
    const read = (path: string) => readPath(point, path);
    let kept = true;
    for (const [f, filter] of filters.entries()) {
      try {
        kept = filter.test(read);
      } catch (e) {
        if (e instanceof UltrasimError) throw new FilterFailure(f, e);
        throw e;
      }
      if (!kept) break;
    }
    if (!kept) continue;
    productIndices.push(i);
    if (productIndices.length > maxPoints) throw tooMany(true, maxPoints);
  }
  return { productIndices, productSize: size, filteredOut: size - productIndices.length };
}

/** The points of shard `index` of `count`: every count-th point from the index-th, so shards even out. */
export function shardPoints(points: number, index: number, count: number): number[] {
  const ids: number[] = [];
  for (let p = index; p < points; p += count) ids.push(p);
  return ids;
}
