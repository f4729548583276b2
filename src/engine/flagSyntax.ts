// The syntax of command-line values, shared by the CLI and the web app (which keeps every input in the
// URL under the CLI's flag names): numbers with k/M/G/B/T suffixes, powers 2^n and exponents, choices, ranges "A..B" and SLOs
// "ttft=2s,tpot=100ms". Pure, so the browser's worker loads the same rules the CLI applies.
import { UltrasimError } from "./errors.js";

const SUFFIX_SCALE: Record<string, number> = { "": 1, k: 1e3, m: 1e6, g: 1e9, b: 1e9, t: 1e12 };

/** The value of a number written as 1152, 1.5e12, 15T / 2.5B / 4G / 300M / 40k, or 2^20 (also 2**20); NaN if none. */
export function parseNumber(text: string): number {
  const power = /^\s*(\d+(?:\.\d+)?)\s*(?:\^|\*\*)\s*(\d+)\s*$/.exec(text);
  if (power) return Number(power[1]) ** Number(power[2]);
  const m = /^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*([kMGBT]?)\s*$/i.exec(text);
  return m ? Number(m[1]) * SUFFIX_SCALE[m[2]!.toLowerCase()]! : NaN;
}

/** A number flag; `undefined` when absent or empty. Every numeric flag of every command reads numbers this way. */
export function numberFlag(text: unknown, flag: string): number | undefined {
  if (text === undefined || (typeof text === "string" && text.trim() === "")) return undefined;
  const value = typeof text === "number" ? text : parseNumber(String(text));
  if (!Number.isFinite(value))
    throw new UltrasimError("INVALID_INPUT", `must be a number (e.g. 1152, 15T, 2.5e12, 2^20), got '${String(text)}'`, { field: flag });
  return value;
}

export function choiceFlag<T extends string>(text: unknown, flag: string, choices: readonly T[]): T | undefined {
  if (text === undefined || text === "") return undefined;
  if (!choices.includes(text as T))
    throw new UltrasimError("INVALID_INPUT", `must be one of ${choices.join(", ")}, got '${String(text)}'`, { field: flag });
  return text as T;
}

/** "A..B" or one number: the ends, whole numbers 1 ≤ A ≤ B. */
export function parseRange(text: string, flag: string): { from: number; to: number } {
  const parts = text.split("..");
  if (parts.length > 2 || parts.some((p) => p.trim() === ""))
    throw new UltrasimError("INVALID_INPUT", `expected A..B or one number, got '${text}'`, { field: flag });
  const from = numberFlag(parts[0], flag)!;
  const to = parts.length === 2 ? numberFlag(parts[1], flag)! : from;
  if (!(from >= 1 && to >= from && Number.isInteger(from) && Number.isInteger(to)))
    throw new UltrasimError("INVALID_INPUT", `expected whole numbers 1 ≤ A ≤ B, got '${text}'`, { field: flag });
  return { from, to };
}

export interface Slo {
  ttftSeconds?: number;
  tpotSeconds?: number;
  e2eSeconds?: number;
}

/** "--slo ttft=2s,tpot=100ms,e2e=30s" as seconds. */
export function parseSlo(text: string): Slo {
  const slo: Slo = {};
  const keys = { ttft: "ttftSeconds", tpot: "tpotSeconds", e2e: "e2eSeconds" } as const;
  for (const part of text.split(",").filter((p) => p.trim())) {
    const m = /^\s*(ttft|tpot|e2e)\s*=\s*([0-9.]+(?:e-?\d+)?)\s*(ms|s|us|µs)?\s*$/i.exec(part);
    if (!m)
      throw new UltrasimError("INVALID_INPUT", `cannot read '${part}': write e.g. ttft=2s,tpot=100ms (keys ttft, tpot, e2e)`, {
        field: "--slo",
      });
    const unit = (m[3] ?? "s").toLowerCase();
    const value = Number(m[2]) * (unit === "ms" ? 1e-3 : unit === "us" || unit === "µs" ? 1e-6 : 1);
    if (!(value > 0 && Number.isFinite(value)))
      throw new UltrasimError("INVALID_INPUT", `'${part}' must be a finite time above zero`, { field: "--slo" });
    const key = keys[m[1]!.toLowerCase() as keyof typeof keys];
    // Two limits on one latency: neither can be meant over the other.
    if (slo[key] !== undefined)
      throw new UltrasimError("INVALID_INPUT", `${m[1]!.toLowerCase()} is given twice: give each limit once`, { field: "--slo" });
    slo[key] = value;
  }
  return slo;
}
