// Scenario files in the browser: YAML (or JSON) text in, a checked scenario out, with errors that
// name the line and the field as the CLI's do; and a scenario out as YAML for `ultrasim train FILE`.
import { Value } from "@sinclair/typebox/value";
import { isMap, isNode, isScalar, LineCounter, parseDocument, stringify, type Document } from "yaml";
import { TrainingCase, TrainingScenario } from "../../src/index.ts";

export class ScenarioFileError extends Error {}

function lineOf(doc: Document, lines: LineCounter, path: (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    if (n > 0) {
      const parent = doc.getIn(path.slice(0, n - 1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(path[n - 1]));
        if (pair && isNode(pair.key) && pair.key.range) return lines.linePos(pair.key.range[0]).line;
      }
    }
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

export function parseScenarioText(text: string, fileName = "scenario.yaml"): TrainingScenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line ?? lines.linePos(first.pos[0]).line;
    throw new ScenarioFileError(`${fileName}:${line}: malformed YAML: ${first.message.split("\n")[0]}`);
  }
  const value: unknown = doc.toJS();
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ScenarioFileError(
      `${fileName}: a scenario file holds one mapping of fields (schemaVersion, model, system, run, parallelism)`,
    );
  const raw = structuredClone(value) as Record<string, unknown>;
  // A validation case is a scenario too, as on the command line: what was measured is ignored.
  if (raw.kind === "training" && Value.Check(TrainingCase, value))
    for (const k of ["id", "group", "source", "measured", "assumptions"]) delete raw[k];
  const error = Value.Errors(TrainingScenario, raw).First();
  if (error) {
    const path = error.path
      .split("/")
      .filter(Boolean)
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const line = lineOf(doc, lines, path);
    const field = path.join(".");
    throw new ScenarioFileError(
      `${fileName}${line ? `:${line}` : ""}: ${field ? `${field}: ` : ""}${error.message}, got ${JSON.stringify(error.value)}`,
    );
  }
  return raw as TrainingScenario;
}

export function scenarioToYaml(scenario: TrainingScenario): string {
  return `# yaml-language-server: $schema=./schema/training-scenario.json\n# Run it: npx ultrasim train scenario.yaml\n${stringify(scenario)}`;
}
