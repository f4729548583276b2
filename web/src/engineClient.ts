// The page's side of the worker protocol: requests with ids, answers as promises, progress callbacks,
// and cancellation. The engine computes synchronously, so cancelling terminates the worker and starts
// a fresh one; every request still open on it is rejected as cancelled.
import type { EngineAnswer, EngineRequest, WorkerMessage } from "./protocol.ts";

export class EngineError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (value: EngineAnswer) => void;
  reject: (error: EngineError) => void;
  onProgress?: (done: number) => void;
}

export class EngineClient {
  private worker!: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor() {
    this.start();
  }

  private start(): void {
    this.worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: "ultrasim-engine" });
    this.worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      const message = event.data;
      const entry = this.pending.get(message.id);
      if (!entry) return;
      if (message.type === "progress") entry.onProgress?.(message.done);
      else {
        this.pending.delete(message.id);
        if (message.type === "result") entry.resolve(message.value);
        else entry.reject(new EngineError(message.message, message.code));
      }
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      for (const [id, entry] of this.pending) {
        this.pending.delete(id);
        entry.reject(new EngineError(`the engine stopped: ${event.message}`, "INTERNAL"));
      }
    };
  }

  request<T extends EngineAnswer>(request: EngineRequest, onProgress?: (done: number) => void): { id: number; result: Promise<T> } {
    const id = this.nextId++;
    const result = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: EngineAnswer) => void, reject, onProgress });
    });
    this.worker.postMessage({ id, request });
    return { id, result };
  }

  /** Stop whatever the worker is doing: every open request fails with code CANCELLED. */
  cancelAll(): void {
    this.worker.terminate();
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      entry.reject(new EngineError("cancelled", "CANCELLED"));
    }
    this.start();
  }
}

/**
 * Requests where only the newest answer matters (a prediction as the user types): at most one runs
 * and one waits; a newer request replaces the waiting one, so the worker never falls behind.
 */
export class LatestOnly<Req extends EngineRequest, Ans extends EngineAnswer> {
  private running = false;
  private waiting: Req | null = null;
  /**
   * Whether a newer request stops the running one instead of waiting for it to finish: for searches
   * that take seconds (the planner on every system). Stopping restarts the worker.
   */
  replaceRunning = false;

  constructor(
    private readonly client: () => EngineClient,
    private readonly onAnswer: (answer: Ans | null, error: EngineError | null) => void,
    /** How far the running request is (0 to 1), for the long ones that report it. */
    private readonly onProgress?: (done: number) => void,
  ) {}

  submit(request: Req): void {
    this.waiting = request;
    if (!this.running) void this.pump();
    // The running request's answer would be dropped anyway: stop it now (its CANCELLED is not asked again).
    else if (this.replaceRunning) this.client().cancelAll();
  }

  private async pump(): Promise<void> {
    while (this.waiting) {
      const request = this.waiting;
      this.waiting = null;
      this.running = true;
      try {
        const answer = await this.client().request<Ans>(request, this.onProgress).result;
        if (!this.waiting) this.onAnswer(answer, null);
      } catch (e) {
        const error = e instanceof EngineError ? e : new EngineError(String(e), "INTERNAL");
        // A search cancelled on the same worker took this request with it: ask again.
        if (error.code === "CANCELLED") this.waiting ??= request;
        else if (!this.waiting) this.onAnswer(null, error);
      }
      this.running = false;
    }
  }
}
