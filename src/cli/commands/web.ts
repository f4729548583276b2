// `ultrasim web`: serve the built web app (web/dist) locally. The simulator runs in the browser.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { UltrasimError } from "../../engine/errors.js";
import { parseNumber } from "../../engine/flagSyntax.js";
import { serveStatic } from "../../node/staticServer.js";

// dist/src/cli/commands/web.js -> the package root's web/dist.
const WEB_DIST = fileURLToPath(new URL("../../../../web/dist/", import.meta.url));

/** Why the server could not listen, in one line the user can act on. */
function listenError(e: unknown, host: string, port: number): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  const messages: Record<string, [string, string]> = {
    ENOTFOUND: ["--host", `cannot resolve '${host}': give an address (127.0.0.1, 0.0.0.0, ::1) or a name this machine resolves`],
    EAI_AGAIN: ["--host", `cannot resolve '${host}' now (DNS did not answer): give an address such as 127.0.0.1`],
    EADDRNOTAVAIL: ["--host", `'${host}' is not an address of this machine: give one of its own, or 127.0.0.1`],
    EADDRINUSE: ["--port", `port ${port} is in use on ${host}: give another with --port (0: any free port)`],
    EACCES: ["--port", `not allowed to listen on port ${port}: give a port above 1023`],
  };
  const known = code ? messages[code] : undefined;
  return known ? new UltrasimError("INVALID_INPUT", known[1], { field: known[0] }) : e;
}

export function registerWeb(program: Command): void {
  program
    .command("web")
    .description("serve the web app on localhost: the simulator runs in your browser")
    .option("--port <port>", "port to listen on (0: any free port)", "5178")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .action(async (opts: { port: string; host: string }) => {
      const port = parseNumber(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UltrasimError("INVALID_INPUT", `must be a port number 0-65535, got '${opts.port}'`, { field: "--port" });
      if (!existsSync(WEB_DIST + "index.html"))
        throw new UltrasimError("FILE_ERROR", "the web app is not built: run `npm run build:web` first", { file: WEB_DIST });
      let url: string;
      try {
        ({ url } = await serveStatic(WEB_DIST, port, opts.host));
      } catch (e) {
        throw listenError(e, opts.host, port);
      }
      process.stdout.write(`ultrasim web app: ${url}  (Ctrl-C to stop)\n`);
    });
}
