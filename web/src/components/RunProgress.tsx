// A running request's progress bar, its percentage and the button that cancels it.
import { engine } from "../engine.ts";
import { formatPercent } from "../format.ts";

export function RunProgress({ done, label, testId }: { done: number; label: string; testId: string }) {
  return (
    <>
      <progress max={1} value={done} aria-label={label} data-testid={testId} />
      <span>{formatPercent(done)}</span>
      <button type="button" onClick={() => engine().cancelAll()}>
        Cancel
      </button>
    </>
  );
}
