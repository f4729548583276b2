// The web app's newest-answer-only queue (web/src/engineClient.ts LatestOnly), driven with a fake
// engine: only the newest request's answer is shown; a request waits for the running one, or, for
// searches of seconds (replaceRunning), stops it.
import { describe, expect, it } from "vitest";
import { EngineError, LatestOnly, type EngineClient } from "../web/src/engineClient.js";
import type { EngineAnswer, EngineRequest } from "../web/src/protocol.js";

/** An engine whose requests finish when the test says, and whose cancelAll rejects them all, as the worker's does. */
function fakeEngine() {
  const open: { request: EngineRequest; resolve: (v: EngineAnswer) => void; reject: (e: EngineError) => void }[] = [];
  let cancels = 0;
  const client = {
    request: (request: EngineRequest) => ({
      id: open.length,
      result: new Promise<EngineAnswer>((resolve, reject) => open.push({ request, resolve, reject })),
    }),
    cancelAll: () => {
      cancels++;
      for (const r of open.splice(0)) r.reject(new EngineError("cancelled", "CANCELLED"));
    },
  } as unknown as EngineClient;
  return { client, open, cancels: () => cancels };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const ask = (n: number): EngineRequest => ({ kind: "compare", scenario: n, systems: [] });
const answer = (n: number) => [{ system: String(n), report: null, error: null, changes: [] }] as EngineAnswer;

describe("LatestOnly", () => {
  it("a newer request waits for the running one, whose answer is dropped; the newest is shown", async () => {
    const engine = fakeEngine();
    const shown: unknown[] = [];
    const latest = new LatestOnly(
      () => engine.client,
      (a) => shown.push(a),
    );
    latest.submit(ask(1));
    latest.submit(ask(2));
    latest.submit(ask(3));
    expect(engine.open.map((r) => r.request.kind === "compare" && r.request.scenario)).toEqual([1]);
    engine.open.shift()!.resolve(answer(1));
    await tick();
    expect(shown).toEqual([]);
    expect(engine.open.map((r) => r.request.kind === "compare" && r.request.scenario)).toEqual([3]);
    engine.open.shift()!.resolve(answer(3));
    await tick();
    expect(shown).toEqual([answer(3)]);
    expect(engine.cancels()).toBe(0);
  });

  it("with replaceRunning, a newer request stops the running one and runs at once", async () => {
    const engine = fakeEngine();
    const shown: unknown[] = [];
    const latest = new LatestOnly(
      () => engine.client,
      (a) => shown.push(a),
    );
    latest.replaceRunning = true;
    latest.submit(ask(1));
    latest.submit(ask(2));
    expect(engine.cancels()).toBe(1);
    await tick();
    // The stopped request is not asked again: only the newest runs.
    expect(engine.open.map((r) => r.request.kind === "compare" && r.request.scenario)).toEqual([2]);
    engine.open.shift()!.resolve(answer(2));
    await tick();
    expect(shown).toEqual([answer(2)]);
  });
});
