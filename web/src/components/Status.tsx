// The status line and the error box every page shows above its results, one way everywhere: the
// tests find them by their test ids, screen readers by their roles.

/** "computing…" while a request runs, then what was computed and how long it took in the browser. */
export function ComputeStatus({
  busy,
  elapsedMs,
  what = "computed",
  progress = null,
}: {
  busy: boolean;
  elapsedMs: number | null;
  what?: string;
  /** 0 to 1 where the engine reports how far it is. */
  progress?: number | null;
}) {
  const working = progress === null ? "computing…" : `computing… ${Math.floor(progress * 100)}%`;
  return (
    <p class="status" role="status" data-testid="status">
      {busy ? working : elapsedMs !== null ? `${what} in your browser in ${elapsedMs.toFixed(0)} ms` : ""}
    </p>
  );
}

/** An error to read before the results, or nothing. */
export function ErrorAlert({ error, testId = "error" }: { error: string | null; testId?: string }) {
  if (!error) return null;
  return (
    <div class="error" role="alert" data-testid={testId}>
      {error}
    </div>
  );
}
