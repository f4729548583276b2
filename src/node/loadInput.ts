// Reading input files: YAML or JSON, parsed with positions so that every error names the file, the
// line and the field.
import { readFileSync, statSync } from "node:fs";
import type { TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { ValueErrorType, type ValueError } from "@sinclair/typebox/value";
import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { bound, boundMessage, boundOfSchema } from "../engine/bounds.js";
import { UltrasimError } from "../engine/errors.js";

export interface LoadedDocument {
  file: string;
  value: unknown;
  doc: Document;
  lines: LineCounter;
}

export function readInputFile(file: string): LoadedDocument {
  const text = readBoundedFile(file);
  const lines = new LineCounter();
  const parseError = (message: string, line?: number) =>
    new UltrasimError("PARSE_ERROR", `malformed ${file.endsWith(".json") ? "JSON" : "YAML"}: ${message}`, { file, line });
  let doc: Document;
  let value: unknown;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const first = doc.errors[0];
    if (first) {
      const message = /call stack/i.test(first.message)
        ? `nested too deeply (${bound("inputDepth").reason})`
        : first.message.split("\n")[0]!;
      throw parseError(message, first.linePos?.[0]?.line ?? lines.linePos(first.pos[0]).line);
    }
    // An alias to nothing, or a "billion laughs" of aliases, throws from toJS: it is the file's fault.
    value = doc.toJS({ maxAliasCount: bound("yamlAliases").max });
  } catch (e) {
    if (e instanceof UltrasimError) throw e;
    if (e instanceof RangeError) throw parseError(`nested too deeply (${bound("inputDepth").reason})`);
    if (e instanceof ReferenceError) {
      if (/excessive alias/i.test(e.message)) {
        const firstAlias = text.search(/(^|[\s,[{:-])\*[^\s,\]}]+/m);
        throw parseError(
          `too many alias expansions (${bound("yamlAliases").reason})`,
          firstAlias >= 0 ? lines.linePos(firstAlias + 1).line : undefined,
        );
      }
      // "Unresolved alias ...: name": point at the first use of the name.
      const name = /:\s*(\S+)\s*$/.exec(e.message.split("\n")[0]!)?.[1];
      const at = name ? text.search(new RegExp(`\\*${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-])`)) : -1;
      throw parseError(e.message.split("\n")[0]!, at >= 0 ? lines.linePos(at).line : undefined);
    }
    throw e;
  }
  if (value === null || value === undefined) throw parseError("the file is empty (no fields, only comments or nothing)", 1);
  const tooDeep = nodePastDepth(doc.contents, bound("inputDepth").max);
  if (tooDeep)
    throw parseError(
      `nested more than ${bound("inputDepth").max} levels deep (${bound("inputDepth").reason})`,
      tooDeep.range ? lines.linePos(tooDeep.range[0]).line : undefined,
    );
  return { file, value, doc, lines };
}

function readBoundedFile(file: string): string {
  try {
    const size = statSync(file).size;
    const limit = bound("inputFileBytes");
    if (size > limit.max) throw new UltrasimError("FILE_ERROR", `the file ${boundMessage(limit, size)}`, { file });
    return readFileSync(file, "utf8");
  } catch (e) {
    if (e instanceof UltrasimError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory, not a file" : (e as Error).message;
    throw new UltrasimError("FILE_ERROR", `cannot read: ${reason}`, { file });
  }
}

/** The first collection nested deeper than `limit` levels (so a hostile file costs no more than that). */
function nodePastDepth(node: unknown, limit: number): Node | undefined {
  if (!isMap(node) && !isSeq(node)) return undefined;
  if (limit <= 0) return node;
  for (const item of node.items) {
    const child = isPair(item) ? item.value : item;
    const found = nodePastDepth(child, limit - 1);
    if (found) return found;
  }
  return undefined;
}

/** A value as an error message shows it: NaN and Infinity by name (JSON.stringify would say null). */
export function showValue(value: unknown): string {
  if (typeof value === "number") return String(value);
  try {
    const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));
    return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

/**
 * The line of the field at `path` (dot-separated): the line of its key where it is a mapping entry,
 * else of its value; or of its nearest ancestor present in the file.
 */
export function lineOf(loaded: LoadedDocument, path: string | undefined): number | undefined {
  const parts = path
    ? path
        .split(".")
        .filter(Boolean)
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p))
    : [];
  for (let n = parts.length; n >= 0; n--) {
    if (n > 0) {
      const parent = loaded.doc.getIn(parts.slice(0, n - 1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(parts[n - 1]));
        if (pair && isNode(pair.key) && pair.key.range) return loaded.lines.linePos(pair.key.range[0]).line;
      }
    }
    const node = n === 0 ? loaded.doc.contents : loaded.doc.getIn(parts.slice(0, n), true);
    if (isNode(node) && node.range) return loaded.lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/** An unknown field is the likelier mistake than the missing one it causes (a typo): report it first. */
function firstError(schema: TSchema, value: unknown): ValueError | undefined {
  let first: ValueError | undefined;
  for (const error of Value.Errors(schema, value)) {
    if (error.type === ValueErrorType.ObjectAdditionalProperties) return innermost(error);
    first ??= error;
  }
  return first && innermost(first);
}

/**
 * For a value that matches no member of a union (a model given inline that has a bad field), the
 * error inside the member it came closest to: the one whose first error lies deepest in the value.
 */
function innermost(error: ValueError): ValueError {
  if (error.type !== ValueErrorType.Union || !error.errors.length) return error;
  let best: ValueError | undefined;
  for (const member of error.errors) {
    const errors = [...member];
    const inner = errors.find((e) => e.type === ValueErrorType.ObjectAdditionalProperties) ?? errors[0];
    if (inner && inner.path.length > (best?.path.length ?? error.path.length)) best = inner;
  }
  return best ? innermost(best) : error;
}

/** Fill in the file and line of an error raised while using `loaded`'s content. */
export function locate(error: UltrasimError, loaded: LoadedDocument, prefix = ""): UltrasimError {
  error.where.file ??= loaded.file;
  const field = error.where.field ? prefix + error.where.field : prefix.replace(/\.$/, "") || undefined;
  error.where.field = field;
  // A whole-file error (an empty file, a list where a mapping belongs) is at its first line.
  error.where.line ??= lineOf(loaded, field) ?? 1;
  return error;
}

/** Check `value` against `schema`; the first error becomes an UltrasimError naming the file, line and field. */
export function checkSchema<T>(schema: TSchema, loaded: LoadedDocument, value: unknown = loaded.value, prefix = ""): T {
  const error = firstError(schema, value);
  if (!error) return value as T;
  const field = prefix + error.path.replace(/^\//, "").replaceAll("/", ".");
  const message =
    !field && error.type === ValueErrorType.Object
      ? `the file holds one mapping of fields (see the schema), got ${showValue(error.value)}`
      : schemaErrorMessage(error);
  throw locate(new UltrasimError("INVALID_INPUT", message, { field: field || undefined }), loaded);
}

/** What is wrong with a value, in words: an unknown field, a missing one, a value past its bound, NaN. */
/** The words a union of string literals allows (null where the schema is not one). */
function literalChoices(schema: unknown): string[] | null {
  type Member = { const?: unknown; type?: unknown; anyOf?: Member[] };
  const top = (schema as Member).anyOf;
  if (!Array.isArray(top)) return null;
  // Nullable(Union(...)) nests one union in another.
  const anyOf = top.flatMap((s) => (Array.isArray(s.anyOf) ? s.anyOf : [s]));
  const words = anyOf.filter((s) => typeof s.const === "string").map((s) => s.const as string);
  // Nullable choices (recompute: null means "the least that fits") are literals plus a null.
  const rest = anyOf.filter((s) => typeof s.const !== "string");
  if (words.length === 0 || rest.some((s) => s.type !== "null")) return null;
  return words;
}

export function schemaErrorMessage(error: ValueError): string {
  if (error.type === ValueErrorType.ObjectAdditionalProperties) {
    const key = error.path.slice(error.path.lastIndexOf("/") + 1);
    return `unknown field${key ? "" : ` ${JSON.stringify(key)}`} (a typo? see the schema for the fields allowed here)`;
  }
  if (error.value === undefined) return `${error.message} (missing)`;
  const limit = boundOfSchema(error.schema);
  if (limit && typeof error.value === "number" && error.value > limit.max) return boundMessage(limit, error.value);
  if (typeof error.value === "number" && !Number.isFinite(error.value)) return `must be a finite number, got ${showValue(error.value)}`;
  // A choice among fixed words (precision, recompute, ...): name them, not "Expected union value".
  const choices = literalChoices(error.schema);
  if (choices) return `must be one of ${choices.join(" | ")}, got ${showValue(error.value)}`;
  return `${error.message}, got ${showValue(error.value)}`;
}

/**
 * Run `build`; an error it throws names the flag that set the field where a flag did (`flagFields`:
 * scenario path to flag), else the file's line.
 */
export function locatedIn<T>(loaded: LoadedDocument | undefined, flagFields: Map<string, string>, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof UltrasimError) {
      const flag = e.where.field ? flagFields.get(e.where.field) : undefined;
      if (flag) e.where.field = flag;
      else if (loaded) locate(e, loaded);
    }
    throw e;
  }
}
