// Reading input files: YAML or JSON, parsed with positions so that every error names the file, the
// line and the field.
import { readFileSync } from "node:fs";
import type { TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { isNode, LineCounter, parseDocument, type Document } from "yaml";
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
    throw new UltrasimError("PARSE_ERROR", `malformed ${file.endsWith(".json") ? "JSON" : "YAML"}: ${first.message.split("\n")[0]}`, { file, line });
  }
  return { file, value: doc.toJS(), doc, lines };
}

/** The line of the field at `path` (dot-separated), or of its nearest ancestor present in the file. */
export function lineOf(loaded: LoadedDocument, path: string | undefined): number | undefined {
  const parts = path ? path.split(".").filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [];
  for (let n = parts.length; n >= 0; n--) {
    const node = loaded.doc.getIn(parts.slice(0, n), true);
    if (isNode(node) && node.range) return loaded.lines.linePos(node.range[0]).line;
  }
  return undefined;
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
  const error = Value.Errors(schema, value).First();
  if (!error) return value as T;
  const field = prefix + error.path.replace(/^\//, "").replaceAll("/", ".");
  const shown = error.value === undefined ? "missing" : JSON.stringify(error.value);
  const message = error.value === undefined ? `${error.message} (missing)` : `${error.message}, got ${shown}`;
  throw locate(new UltrasimError("INVALID_INPUT", message, { field: field || undefined }), loaded);
}
