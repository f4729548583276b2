// A request the user starts with a button (a deployment search, a closed-loop curve): how far it is
// while it runs, its answer once it is done, and a message where it failed or was cancelled.
import { useState } from "preact/hooks";
import { engine } from "./engine.ts";
import { EngineError } from "./engineClient.ts";
import type { EngineAnswer, EngineRequest } from "./protocol.ts";

export interface OnDemand<Ans> {
  /** How far the running request is (0 to 1), null when none runs. */
  done: number | null;
  answer: Ans | null;
  message: string | null;
  run: (request: EngineRequest) => Promise<void>;
}

export function useOnDemand<Ans extends EngineAnswer>(cancelledMessage: string): OnDemand<Ans> {
  const [done, setDone] = useState<number | null>(null);
  const [answer, setAnswer] = useState<Ans | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const run = async (request: EngineRequest) => {
    setDone(0);
    setMessage(null);
    try {
      setAnswer(await engine().request<Ans>(request, setDone).result);
    } catch (e) {
      const err = e instanceof EngineError ? e : new EngineError(String(e), "INTERNAL");
      setMessage(err.code === "CANCELLED" ? cancelledMessage : err.message);
    }
    setDone(null);
  };
  return { done, answer, message, run };
}
