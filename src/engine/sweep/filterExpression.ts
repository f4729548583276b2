// Filters of a sweep: small expressions over a point's fields, e.g.
//   system.chips >= run.globalBatch / 8 && model != 'llama3-8b'
//   system.id in ['dgx-h100', 'dgx-b200']
// Numbers, 'strings', true, false, null; field paths; + - * / %; == != < <= > >=; && || !; in [..];
// parentheses. No other names and no calls: a filter can only read the point. Type errors are errors
// (a number compared with a string), so a filter never silently keeps or drops everything.
import { UltrasimError } from "../errors.js";

type Value = number | string | boolean | null;
type Node =
  | { kind: "literal"; value: Value }
  | { kind: "field"; path: string }
  | { kind: "list"; items: Node[] }
  | { kind: "unary"; op: "!" | "-"; operand: Node }
  | { kind: "binary"; op: string; left: Node; right: Node };

export interface CompiledFilter {
  source: string;
  /** The field paths it reads. */
  fields: string[];
  /** Whether the point whose fields `read` returns passes; throws on a type error. */
  test: (read: (path: string) => unknown) => boolean;
}

const TOKEN =
  /\s*(?:(\d+(?:\.\d*)?(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)|(==|!=|<=|>=|&&|\|\||[-+*/%<>!()[\],]))/y;

interface Token {
  text: string;
  kind: "number" | "string" | "name" | "op" | "end";
  at: number;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < source.length) {
    if (/^\s*$/.test(source.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(source);
    if (!m) throw filterError(source, source.slice(at).search(/\S/) + at, "unexpected character");
    const start = m.index + m[0].length - (m[1] ?? m[2] ?? m[3] ?? m[4])!.length;
    if (m[1] !== undefined) tokens.push({ text: m[1], kind: "number", at: start });
    else if (m[2] !== undefined) tokens.push({ text: m[2], kind: "string", at: start });
    else if (m[3] !== undefined) tokens.push({ text: m[3], kind: "name", at: start });
    else tokens.push({ text: m[4]!, kind: "op", at: start });
    at = TOKEN.lastIndex;
  }
  tokens.push({ text: "", kind: "end", at: source.length });
  return tokens;
}

/** The filter as a message quotes it: whole when short, else the 60 characters around `at`. */
function quote(source: string, at = 0): string {
  if (source.length <= 80) return `"${source}"`;
  const start = Math.max(0, Math.min(at - 30, source.length - 60));
  return `"${start > 0 ? "…" : ""}${source.slice(start, start + 60)}${start + 60 < source.length ? "…" : ""}" (${source.length} characters)`;
}

function filterError(source: string, at: number, what: string): UltrasimError {
  return new UltrasimError("INVALID_INPUT", `${what} at column ${at + 1} of ${quote(source, at)}`);
}

// Binding power of the binary operators, loosest first.
const PRECEDENCE: Record<string, number> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  in: 3,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
  "%": 6,
};

/**
 * How deep a filter may nest: parentheses, lists, `!` and `-`, and chains of operators each add a
 * level. The parser and the evaluator recurse once per level, so without a bound a filter of
 * thousands of parentheses would overflow the stack; real filters stay within a few levels.
 */
export const MAX_FILTER_DEPTH = 64;

function parse(source: string): Node {
  const tokens = tokenize(source);
  let i = 0;
  // Levels open now (parser recursion) and each node's height, bounded together by MAX_FILTER_DEPTH.
  let open = 0;
  const heights = new WeakMap<Node, number>();
  const tooDeep = (at: number) =>
    filterError(
      source,
      at,
      `the filter nests deeper than ${MAX_FILTER_DEPTH} levels (parentheses, lists, ! or -, chained operators): split it into several filters`,
    );
  const node = (n: Node, at: number, ...children: Node[]): Node => {
    const height = 1 + Math.max(0, ...children.map((c) => heights.get(c) ?? 1));
    if (height > MAX_FILTER_DEPTH) throw tooDeep(at);
    heights.set(n, height);
    return n;
  };
  const nested = <T>(at: number, parse: () => T): T => {
    if (++open > MAX_FILTER_DEPTH) throw tooDeep(at);
    try {
      return parse();
    } finally {
      open--;
    }
  };
  const peek = () => tokens[i]!;
  const expect = (text: string) => {
    if (peek().text !== text) throw filterError(source, peek().at, `expected '${text}'`);
    i++;
  };
  const primary = (): Node => {
    const t = tokens[i++]!;
    if (t.kind === "number") return { kind: "literal", value: Number(t.text) };
    if (t.kind === "string") return { kind: "literal", value: t.text.slice(1, -1).replace(/\\(.)/g, "$1") };
    if (t.kind === "name") {
      if (t.text === "true" || t.text === "false") return { kind: "literal", value: t.text === "true" };
      if (t.text === "null") return { kind: "literal", value: null };
      return { kind: "field", path: t.text };
    }
    if (t.text === "(") {
      const inner = nested(t.at, () => expression(0));
      expect(")");
      return inner;
    }
    if (t.text === "[") {
      const items: Node[] = [];
      nested(t.at, () => {
        while (peek().text !== "]") {
          items.push(expression(0));
          if (peek().text !== "]") expect(",");
        }
      });
      i++;
      return node({ kind: "list", items }, t.at, ...items);
    }
    if (t.text === "!" || t.text === "-") {
      const operand = nested(t.at, () => expression(7));
      return node({ kind: "unary", op: t.text, operand }, t.at, operand);
    }
    throw filterError(source, t.at, t.kind === "end" ? "unexpected end: a value is missing" : `unexpected '${t.text}'`);
  };
  const expression = (minPrecedence: number): Node => {
    let left = primary();
    for (;;) {
      const t = peek();
      const precedence = (t.kind === "op" || t.text === "in") && PRECEDENCE[t.text];
      if (!precedence || precedence <= minPrecedence) return left;
      i++;
      const right = nested(t.at, () => expression(precedence));
      left = node({ kind: "binary", op: t.text, left, right }, t.at, left, right);
    }
  };
  const tree = expression(0);
  if (peek().kind !== "end") throw filterError(source, peek().at, `unexpected '${peek().text}'`);
  return tree;
}

function fieldsOf(node: Node, into: Set<string>): Set<string> {
  if (node.kind === "field") into.add(node.path);
  else if (node.kind === "list") node.items.forEach((n) => fieldsOf(n, into));
  else if (node.kind === "unary") fieldsOf(node.operand, into);
  else if (node.kind === "binary") [node.left, node.right].forEach((n) => fieldsOf(n, into));
  return into;
}

const describe = (v: unknown) => (typeof v === "string" ? `'${v}'` : JSON.stringify(v));

export function compileFilter(source: string): CompiledFilter {
  const tree = parse(source);
  const fail = (what: string): never => {
    throw new UltrasimError("INVALID_INPUT", `${what} in ${quote(source)}`);
  };
  const number = (v: unknown, op: string): number => (typeof v === "number" ? v : fail(`'${op}' needs numbers, got ${describe(v)}`));
  const boolean = (v: unknown, op: string): boolean =>
    typeof v === "boolean" ? v : fail(`'${op}' needs true or false, got ${describe(v)}`);
  const evaluate = (node: Node, read: (path: string) => unknown): unknown => {
    switch (node.kind) {
      case "literal":
        return node.value;
      case "field": {
        const v = read(node.path);
        return v === undefined ? null : v;
      }
      case "list":
        return node.items.map((n) => evaluate(n, read));
      case "unary": {
        const v = evaluate(node.operand, read);
        return node.op === "!" ? !boolean(v, "!") : -number(v, "-");
      }
      case "binary": {
        if (node.op === "&&") return boolean(evaluate(node.left, read), "&&") && boolean(evaluate(node.right, read), "&&");
        if (node.op === "||") return boolean(evaluate(node.left, read), "||") || boolean(evaluate(node.right, read), "||");
        const a = evaluate(node.left, read);
        const b = evaluate(node.right, read);
        switch (node.op) {
          case "==":
            return a === b;
          case "!=":
            return a !== b;
          case "in":
            return Array.isArray(b) ? b.includes(a) : fail(`'in' needs a list [..] on its right, got ${describe(b)}`);
          case "<":
          case "<=":
          case ">":
          case ">=": {
            if (!((typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string")))
              return fail(`'${node.op}' compares two numbers or two strings, got ${describe(a)} and ${describe(b)}`);
            return node.op === "<" ? a < b : node.op === "<=" ? a <= b : node.op === ">" ? a > b : a >= b;
          }
          default: {
            const x = number(a, node.op);
            const y = number(b, node.op);
            return node.op === "+" ? x + y : node.op === "-" ? x - y : node.op === "*" ? x * y : node.op === "/" ? x / y : x % y;
          }
        }
      }
    }
  };
  return {
    source,
    fields: [...fieldsOf(tree, new Set())],
    test: (read) => {
      const result = evaluate(tree, read);
      return typeof result === "boolean" ? result : fail(`a filter must be true or false, got ${describe(result)}`);
    },
  };
}
