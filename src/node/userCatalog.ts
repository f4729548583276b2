// A user's own chips, systems, models and efficiencies, from a YAML or JSON file of the form
// { chips: [...], systems: [...], models: [...], efficiencies: [...] }, checked against the same
// schemas as the built-in entries.
import { Type } from "@sinclair/typebox";
import { builtinCatalog } from "../engine/catalog/builtin.js";
import type { Catalog } from "../engine/catalog/catalog.js";
import { ChipSpec, ModelSpec, SystemSpec } from "../engine/catalog/schema.js";
import { UltrasimError } from "../engine/errors.js";
import { EfficiencyEntry } from "../engine/system/efficiency.js";
import { checkSchema, locate, readInputFile, type LoadedDocument } from "./loadInput.js";

export const CatalogFile = Type.Object(
  {
    chips: Type.Optional(Type.Array(ChipSpec)),
    systems: Type.Optional(Type.Array(SystemSpec)),
    models: Type.Optional(Type.Array(ModelSpec)),
    efficiencies: Type.Optional(Type.Array(EfficiencyEntry)),
  },
  { additionalProperties: false, $id: "https://ultrasim.dev/schema/catalog.json", title: "ultrasim catalog entries" },
);

export function extendCatalog(catalog: Catalog, files: string[]): Catalog {
  return readCatalogEntries(files, catalog).catalog;
}

/**
 * The entries of the user's catalog files, checked (file, line and field on error), with the catalog
 * they make. The entries are plain data: a sweep hashes them and hands them to its worker threads.
 */
export function readCatalogEntries(
  files: string[],
  catalog: Catalog = builtinCatalog(),
): { entries: CatalogFileEntries[]; catalog: Catalog } {
  let result = catalog;
  const entries: CatalogFileEntries[] = [];
  for (const file of files) {
    const loaded = readInputFile(file);
    const fileEntries = checkSchema<CatalogFileEntries>(CatalogFile, loaded);
    refuseDuplicateIds(fileEntries, loaded);
    try {
      result = result.withEntries(fileEntries);
    } catch (e) {
      if (e instanceof UltrasimError) throw locate(e, loaded);
      throw e;
    }
    entries.push(fileEntries);
  }
  return { entries, catalog: result };
}

/** Two entries of one kind with one id in one file: the second would silently replace the first. */
function refuseDuplicateIds(entries: CatalogFileEntries, loaded: LoadedDocument): void {
  for (const kind of ["chips", "systems", "models"] as const) {
    const seen = new Map<string, number>();
    (entries[kind] ?? []).forEach((entry: { id?: string }, i: number) => {
      if (entry.id === undefined) return;
      const first = seen.get(entry.id);
      if (first !== undefined)
        throw locate(
          new UltrasimError("INVALID_INPUT", `duplicate id '${entry.id}': ${kind}.${first} has it too`, { field: `${kind}.${i}.id` }),
          loaded,
        );
      seen.set(entry.id, i);
    });
  }
}

export type CatalogFileEntries = Parameters<Catalog["withEntries"]>[0];
