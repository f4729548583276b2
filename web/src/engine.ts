// The one engine worker the page talks to, started on first use.
import { EngineClient } from "./engineClient.ts";

let client: EngineClient | undefined;
export const engine = (): EngineClient => (client ??= new EngineClient());
