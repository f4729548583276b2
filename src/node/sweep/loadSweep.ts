// A sweep file read and checked before any point runs: the schema, every axis (a field that exists,
// at least one value, each value valid for its field, catalog ids known), the filters (they parse,
// name real fields, and give true or false on every point), the first point as a whole scenario, and
// the point count against the limit. Every error names the file, the line and the field.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Value } from "@sinclair/typebox/value";
import { isMap, isScalar, isSeq, type Node as YamlNode } from "yaml";
import type { Catalog } from "../../engine/catalog/catalog.js";
import { UltrasimError } from "../../engine/errors.js";
import { fieldSchema } from "../../engine/sweep/fieldSchema.js";
import { compileFilter, type CompiledFilter } from "../../engine/sweep/filterExpression.js";
import { axisColumnName, OUTPUT_COLUMNS, sweepColumns, type Column } from "../../engine/sweep/sweepColumns.js";
import { DEFAULT_MAX_POINTS, POINT_SCHEMAS, SweepFile, type Sweep } from "../../engine/sweep/sweepFile.js";
import { sweepHash } from "../../engine/sweep/sweepHash.js";
import { axisValuesAt, enumeratePoints, FilterFailure, pointScenario, readPath, type PointList } from "../../engine/sweep/sweepPoints.js";
import { checkSchema, lineOf, locate, readInputFile, schemaErrorMessage, type LoadedDocument } from "../loadInput.js";
import { readCatalogEntries, type CatalogFileEntries } from "../userCatalog.js";

export interface LoadedSweep {
  file: string;
  sweep: Sweep;
  hash: string;
  ultrasimVersion: string;
  columns: Column[];
  points: PointList;
  maxPoints: number;
  /** The user's catalog entries (--catalog), in file order: the workers add them to the built-in catalog. */
  catalogEntries: CatalogFileEntries[];
  /** The built-in catalog with those entries. */
  catalog: Catalog;
}

/** Fields whose values are catalog ids, by sweep kind: checked up front, so a misspelt id fails before the sweep runs. */
const CATALOG_FIELDS: Record<string, "model" | "system"> = {
  model: "model",
  "system.id": "system",
  "deployment.system": "system",
  "disaggregated.prefill.system": "system",
  "disaggregated.decode.system": "system",
};

let cachedVersion: string | undefined;
/** ultrasim's version, from the package.json above this file (src/ or dist/src/). */
export function ultrasimVersion(): string {
  if (cachedVersion) return cachedVersion;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "ultrasim") return (cachedVersion = pkg.version ?? "0.0.0");
    } catch {
      // not here: look further up
    }
    const up = dirname(dir);
    if (up === dir) return (cachedVersion = "0.0.0");
    dir = up;
  }
}

/** The key node of axis `name` (its name has dots, so lineOf's path lookup cannot find it). */
function axisPair(loaded: LoadedDocument, name: string) {
  const axes = loaded.doc.get("axes", true) as YamlNode | undefined;
  if (!isMap(axes)) return undefined;
  return axes.items.find((item) => isScalar(item.key) && String(item.key.value) === name);
}

function lineAt(loaded: LoadedDocument, node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? loaded.lines.linePos(range[0]).line : undefined;
}

function axisError(loaded: LoadedDocument, name: string, message: string, item?: number): UltrasimError {
  const pair = axisPair(loaded, name);
  const value = pair?.value;
  const itemNode = item !== undefined && isSeq(value) ? value.items[item] : undefined;
  const line = lineAt(loaded, itemNode ?? pair?.key) ?? lineOf(loaded, "axes");
  return new UltrasimError("INVALID_INPUT", message, {
    file: loaded.file,
    line,
    field: `axes.${name}${item !== undefined ? `[${item}]` : ""}`,
  });
}

function checkAxes(loaded: LoadedDocument, sweep: Sweep, catalog: Catalog): void {
  const schema = POINT_SCHEMAS[sweep.kind];
  const outputNames = new Set(OUTPUT_COLUMNS[sweep.kind].map((c) => c.name));
  const columnNames = new Map<string, string>();
  for (const { name, values } of sweep.axes) {
    const lookup = fieldSchema(schema, name);
    if ("unknown" in lookup) {
      const where = lookup.parent ? ` in ${lookup.parent}` : "";
      const hint = lookup.suggestion
        ? `did you mean '${[lookup.parent, lookup.suggestion].filter(Boolean).join(".")}'?`
        : `fields here: ${lookup.known.join(", ")}`;
      throw axisError(loaded, name, `no field '${lookup.unknown}'${where} of a ${sweep.kind} point (a typo? ${hint})`);
    }
    if (values.length === 0) throw axisError(loaded, name, "the axis has no values: give at least one (or set the field in base)");
    if (values.length === 1 && Array.isArray(values[0]) && (values[0] as unknown[]).length === 0)
      throw axisError(loaded, name, "the axis has no values: give at least one (or set the field in base)");
    values.forEach((v, i) => {
      const error = Value.Errors(lookup.schema, v).First();
      if (error) {
        const at = error.path ? ` at ${error.path.slice(1).replaceAll("/", ".")}` : "";
        const message = schemaErrorMessage(error);
        throw axisError(loaded, name, at ? message.replace(/^(.*?)(, got |$)/, `$1${at}$2`) : message, i);
      }
      const kind = CATALOG_FIELDS[name];
      if (kind && typeof v === "string") {
        try {
          if (kind === "model") catalog.model(v);
          else catalog.system(v);
        } catch (e) {
          if (e instanceof UltrasimError) throw axisError(loaded, name, e.message, i);
          throw e;
        }
      }
    });
    const column = axisColumnName(name);
    if (outputNames.has(column) || column === "point")
      throw axisError(loaded, name, `its column '${column}' would clash with an output column of the same name`);
    if (columnNames.has(column)) throw axisError(loaded, name, `its column '${column}' clashes with axis '${columnNames.get(column)}'`);
    columnNames.set(column, name);
  }
}

/** Catalog ids the base fixes (those no axis overrides): a misspelt one would fail every point. */
function checkBaseIds(loaded: LoadedDocument, sweep: Sweep, catalog: Catalog): void {
  for (const [path, kind] of Object.entries(CATALOG_FIELDS)) {
    if (sweep.axes.some((a) => a.name === path)) continue;
    const value = readPath(sweep.base, path);
    if (typeof value !== "string") continue;
    try {
      if (kind === "model") catalog.model(value);
      else catalog.system(value);
    } catch (e) {
      if (e instanceof UltrasimError) throw locate(new UltrasimError(e.code, e.message, { field: `base.${path}` }), loaded);
      throw e;
    }
  }
}

function compileFilters(loaded: LoadedDocument, sweep: Sweep): CompiledFilter[] {
  const schema = POINT_SCHEMAS[sweep.kind];
  return sweep.filters.map((source, i) => {
    const where = () => ({ file: loaded.file, line: lineOf(loaded, `filters.${i}`), field: `filters[${i}]` });
    let filter: CompiledFilter;
    try {
      filter = compileFilter(source);
    } catch (e) {
      if (e instanceof UltrasimError) throw new UltrasimError(e.code, e.message, where());
      throw e;
    }
    for (const path of filter.fields) {
      if (sweep.axes.some((a) => a.name === path)) continue;
      const lookup = fieldSchema(schema, path);
      if ("unknown" in lookup) {
        const names = sweep.axes.map((a) => a.name);
        const hint = lookup.suggestion ?? (names.length ? `axes: ${names.join(", ")}` : "");
        throw new UltrasimError(
          "INVALID_INPUT",
          `no field '${path}' in a ${sweep.kind} point (a typo? ${lookup.suggestion ? `did you mean '${[lookup.parent, hint].filter(Boolean).join(".")}'?` : hint})`,
          where(),
        );
      }
    }
    return filter;
  });
}

export function loadSweep(file: string, options: { maxPoints?: number; catalogFiles?: string[] } = {}): LoadedSweep {
  const { entries: catalogEntries, catalog } = readCatalogEntries(options.catalogFiles ?? []);
  const loaded = readInputFile(file);
  if (typeof loaded.value !== "object" || loaded.value === null || Array.isArray(loaded.value))
    throw new UltrasimError("INVALID_INPUT", "a sweep file holds one mapping of fields (schemaVersion, kind, base, axes, filters)", {
      file,
    });
  const spec = checkSchema<SweepFile>(SweepFile, loaded);
  const sweep: Sweep = {
    name: spec.name ?? null,
    kind: spec.kind,
    base: spec.base,
    axes: Object.entries(spec.axes).map(([name, values]) => ({ name, values })),
    filters: spec.filters ?? [],
  };
  checkAxes(loaded, sweep, catalog);
  checkBaseIds(loaded, sweep, catalog);
  const filters = compileFilters(loaded, sweep);

  // The first point as a whole scenario: what base leaves out that no axis supplies.
  const first = pointScenario(sweep, sweep.axes.length ? axisValuesAt(sweep, 0) : []);
  const schema = POINT_SCHEMAS[sweep.kind];
  if (Value.Errors(schema, first).First()) {
    const asAxis = new Set(sweep.axes.map((a) => a.name));
    const error = Value.Errors(schema, first).First()!;
    const path = error.path.replace(/^\//, "").replaceAll("/", ".");
    if (!asAxis.has(path)) checkSchema(schema, loaded, first, "base.");
  }

  const maxPoints = options.maxPoints ?? spec.maxPoints ?? DEFAULT_MAX_POINTS;
  let points: PointList;
  try {
    points = enumeratePoints(sweep, filters, maxPoints);
  } catch (e) {
    if (e instanceof FilterFailure)
      throw new UltrasimError(e.code, e.message, {
        file: loaded.file,
        line: lineOf(loaded, `filters.${e.filterIndex}`),
        field: `filters[${e.filterIndex}]`,
      });
    if (e instanceof UltrasimError) {
      if (options.maxPoints !== undefined) e.where.field = "--max-points";
      else if (spec.maxPoints !== undefined) locate(e, loaded);
      else Object.assign(e.where, { file: loaded.file, line: lineOf(loaded, "axes"), field: "axes" });
    }
    throw e;
  }
  if (points.productIndices.length === 0)
    throw new UltrasimError("INVALID_INPUT", `the filters drop all ${points.productSize} points`, {
      file: loaded.file,
      line: lineOf(loaded, "filters"),
      field: "filters",
    });
  const version = ultrasimVersion();
  return {
    file,
    sweep,
    hash: sweepHash(sweep, version, catalogEntries),
    ultrasimVersion: version,
    columns: sweepColumns(sweep),
    points,
    maxPoints,
    catalogEntries,
    catalog,
  };
}
