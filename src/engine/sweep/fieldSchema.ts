// The schema of the field at a dotted path inside a point schema, so that an axis or a filter naming
// a field that does not exist (a typo) is caught before any point runs.
import { Type, type TSchema } from "@sinclair/typebox";

export type FieldLookup = { schema: TSchema } | { unknown: string; parent: string; known: string[]; suggestion: string | null };

interface JsonSchemaNode {
  type?: string;
  properties?: Record<string, TSchema>;
  patternProperties?: Record<string, TSchema>;
  anyOf?: TSchema[];
  allOf?: TSchema[];
}

/** The schemas `key` may have under `schema`: one per union member that has it; null where any key is allowed. */
function childSchemas(schema: TSchema, key: string): { found: TSchema[]; known: string[]; open: boolean } {
  const node = schema as JsonSchemaNode;
  const members = node.anyOf ?? node.allOf;
  if (members) {
    const parts = members.map((m) => childSchemas(m, key));
    return { found: parts.flatMap((p) => p.found), known: parts.flatMap((p) => p.known), open: parts.some((p) => p.open) };
  }
  if (node.properties) {
    const child = node.properties[key];
    return { found: child ? [child] : [], known: Object.keys(node.properties), open: false };
  }
  if (node.patternProperties) return { found: Object.values(node.patternProperties), known: [], open: false };
  // Unknown or any: the schema says nothing below here.
  return { found: [], known: [], open: node.type === undefined };
}

export function fieldSchema(schema: TSchema, path: string): FieldLookup {
  let current: TSchema[] = [schema];
  const keys = path.split(".");
  for (const [i, key] of keys.entries()) {
    const parts = current.map((s) => childSchemas(s, key));
    const found = parts.flatMap((p) => p.found);
    if (found.length === 0) {
      if (parts.some((p) => p.open)) return { schema: Type.Unknown() };
      const known = [...new Set(parts.flatMap((p) => p.known))];
      return { unknown: key, parent: keys.slice(0, i).join("."), known, suggestion: nearest(key, known) };
    }
    current = found;
  }
  return { schema: current.length === 1 ? current[0]! : Type.Union(current) };
}

/** The known name closest to `name` by edit distance, where it is close enough to be the intended one. */
export function nearest(name: string, known: string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}
