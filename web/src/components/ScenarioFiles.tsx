// Scenario YAML in and out, and a link that reproduces the view.
import { useState } from "preact/hooks";
import type { TrainingScenario } from "../../../src/index.ts";
import { download } from "../download.ts";
import { parseScenarioText, scenarioToYaml } from "../scenarioYaml.ts";

export function ScenarioFiles({ scenario, onImport }: { scenario: TrainingScenario; onImport: (s: TrainingScenario) => void }) {
  const [importError, setImportError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const importFile = async (file: File) => {
    try {
      const next = parseScenarioText(await file.text(), file.name);
      setImportError(null);
      onImport(next);
    } catch (e) {
      setImportError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div class="files">
      <label class="button">
        Import YAML
        <input
          type="file"
          name="import-yaml"
          accept=".yaml,.yml,.json,application/yaml,application/json,text/plain"
          class="sr-only"
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            e.currentTarget.value = "";
            if (file) void importFile(file);
          }}
        />
      </label>
      <button type="button" onClick={() => download("scenario.yaml", scenarioToYaml(scenario), "application/yaml")}>
        Export YAML
      </button>
      <button
        type="button"
        onClick={() => {
          void navigator.clipboard?.writeText(location.href).then(
            () => setCopied(true),
            () => setCopied(false),
          );
          setTimeout(() => setCopied(false), 1500);
        }}
      >
        {copied ? "Link copied" : "Copy link"}
      </button>
      {importError && (
        <div class="error" role="alert" data-testid="import-error">
          <strong>Could not import the scenario.</strong> {importError}
          <button type="button" class="link" onClick={() => setImportError(null)} aria-label="Dismiss the import error">
            ×
          </button>
        </div>
      )}
    </div>
  );
}
