// `ultrasim web`: serve the built web app (web/dist) locally. The simulator runs in the browser.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { UltrasimError } from "../../engine/errors.js";
import { parseNumber } from "../../engine/flagSyntax.js";
import { serveStatic } from "../../node/staticServer.js";

// dist/src/cli/commands/web.js -> the package root's web/dist.
const WEB_DIST = fileURLToPath(new URL("../../../../web/dist/", import.meta.url));

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
      const { url } = await serveStatic(WEB_DIST, port, opts.host);
      process.stdout.write(`ultrasim web app: ${url}  (Ctrl-C to stop)\n`);
    });
}
