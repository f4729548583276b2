// Errors a user can act on. Each has a stable `code` and a message that says what to fix; `where`
// names the file, line and field when the input came from a file (the node layer fills it in).

export type ErrorCode =
  "UNKNOWN_ID" | "INVALID_INPUT" | "INVALID_DEGREE" | "DEGREES_MISMATCH" | "BATCH_NOT_DIVISIBLE" | "PARSE_ERROR" | "FILE_ERROR";

export interface InputLocation {
  file?: string;
  line?: number;
  /** JSON-pointer-like path of the field, e.g. "parallelism.tp". */
  field?: string;
}

export class UltrasimError extends Error {
  readonly code: ErrorCode;
  where: InputLocation;
  constructor(code: ErrorCode, message: string, where: InputLocation = {}) {
    super(message);
    this.name = "UltrasimError";
    this.code = code;
    this.where = where;
  }

  /** "file:line: field: message" with whatever parts are known. */
  describe(): string {
    const place = [this.where.file, this.where.line !== undefined ? String(this.where.line) : undefined].filter(Boolean).join(":");
    const field = this.where.field ? `${this.where.field}: ` : "";
    return `${place ? place + ": " : ""}${field}${this.message}`;
  }
}
