// Reading input files: YAML or JSON, parsed with positions so that every error names the file, the
// line and the field.
import { readFileSync } from "node:fs";
import type { TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { ValueErrorType, type ValueError } from "@sinclair/typebox/value";
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from "yaml";
import { UltrasimError } from "../engine/errors.js";

export interface LoadedDocument {
  file: string;
  value: unknown;
  doc: Document;
  lines: LineCounter;
}

export function readInputFile(file: string): LoadedDocument {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new UltrasimError("FILE_ERROR", `cannot read: ${reason}`, { file });
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line ?? lines.linePos(first.pos[0]).line;
    throw new UltrasimError("PARSE_ERROR", `malformed ${file.endsWith(".json") ? "JSON" : "YAML"}: ${first.message.split("\n")[0]}`, {
      file,
      line,
    });
  }
  return { file, value: doc.toJS(), doc, lines };
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
    if (error.type === ValueErrorType.ObjectAdditionalProperties) return error;
    first ??= error;
  }
  return first;
}

/** Fill in the file and line of an error raised while using `loaded`'s content. */
export function locate(error: UltrasimError, loaded: LoadedDocument, prefix = ""): UltrasimError {
  error.where.file ??= loaded.file;
  const field = error.where.field ? prefix + error.where.field : prefix.replace(/\.$/, "") || undefined;
  error.where.field = field;
  error.where.line ??= lineOf(loaded, field);
  return error;
}

/** Check `value` against `schema`; the first error becomes an UltrasimError naming the file, line and field. */
export function checkSchema<T>(schema: TSchema, loaded: LoadedDocument, value: unknown = loaded.value, prefix = ""): T {
  const error = firstError(schema, value);
  if (!error) return value as T;
  const field = prefix + error.path.replace(/^\//, "").replaceAll("/", ".");
  const message =
    error.type === ValueErrorType.ObjectAdditionalProperties
      ? "unknown field (a typo? see the schema for the fields allowed here)"
      : error.value === undefined
        ? `${error.message} (missing)`
        : `${error.message}, got ${JSON.stringify(error.value)}`;
  throw locate(new UltrasimError("INVALID_INPUT", message, { field: field || undefined }), loaded);
}
