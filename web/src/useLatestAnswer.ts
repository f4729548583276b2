// The engine's answer to a request that follows the page's inputs: the request is sent again whenever
// one of `deps` changes, only the newest request's answer is shown (LatestOnly: answers to requests
// overtaken while they ran are dropped), and the time it took is measured for the status line.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { engine } from "./engine.ts";
import { LatestOnly } from "./engineClient.ts";
import type { EngineAnswer, EngineRequest } from "./protocol.ts";

export interface LatestAnswer<Ans> {
  answer: Ans | null;
  error: string | null;
  /** For errors of the page's own requests (a download), shown where the engine's are. */
  setError: (error: string | null) => void;
  busy: boolean;
  /** How far the running request is (0 to 1) where the engine reports it, else null. */
  progress: number | null;
  elapsedMs: number | null;
}

export function useLatestAnswer<Req extends EngineRequest, Ans extends EngineAnswer>(
  request: Req,
  deps: unknown[],
  /** Keep the last good answer on screen when a request fails (the error shows above it). */
  keepLastOnError = false,
  /** A newer request stops the running one (searches that take seconds): LatestOnly.replaceRunning. */
  replaceRunning = false,
): LatestAnswer<Ans> {
  const [answer, setAnswer] = useState<Ans | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [elapsedMs, setElapsedMs] = useState<number | null>(null);
  const started = useRef(0);
  const latest = useMemo(
    () =>
      new LatestOnly<Req, Ans>(
        engine,
        (value, err) => {
          setBusy(false);
          setElapsedMs(performance.now() - started.current);
          if (value || !keepLastOnError) setAnswer(value);
          setError(err ? err.message : null);
        },
        setProgress,
      ),
    [],
  );
  latest.replaceRunning = replaceRunning;
  useEffect(() => {
    started.current = performance.now();
    setBusy(true);
    setProgress(null);
    latest.submit(request);
  }, deps);
  return { answer, error, setError, busy, progress, elapsedMs };
}
