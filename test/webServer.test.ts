// `ultrasim web` against hostile requests: the real command, started on a free port, gets each request
// below as raw bytes on a socket (Node's own client refuses some of these paths). Every one gets a
// 4xx status, and the server still answers a good request afterwards. Before this, a path that did not
// decode (URIError) or that the file system refused (ENOTDIR, ENAMETOOLONG) ended the process.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTENT_SECURITY_POLICY, hostAllowed } from "../src/node/staticServer.js";
import { cli, requireBuild } from "./sweepHelpers.js";

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Send `request` as it is and read the whole answer (the server closes: Connection: close). */
function raw(port: number, request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => (text += d));
    socket.on("error", reject);
    socket.on("close", () => {
      const [head = "", body = ""] = text.split("\r\n\r\n", 2);
      const [statusLine = "", ...lines] = head.split("\r\n");
      const headers = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()] as [string, string]),
      );
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body });
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(request.slice(0, 80))}`)));
    socket.write(request);
  });
}

let child: ChildProcess;
let port: number;
const get = (path: string, { method = "GET", host = `127.0.0.1:${port}` }: { method?: string; host?: string | null } = {}) =>
  raw(port, `${method} ${path} HTTP/1.1\r\n${host === null ? "" : `Host: ${host}\r\n`}Connection: close\r\n\r\n`);

beforeAll(async () => {
  requireBuild();
  const webDist = fileURLToPath(new URL("../web/dist/index.html", import.meta.url));
  if (!existsSync(webDist)) throw new Error("web/dist is not built: run `npm run build` first");
  child = spawn(process.execPath, [cli, "web", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", (code) => reject(new Error(`ultrasim web exited (${code}) before listening: ${out}`)));
  });
});
afterAll(() => {
  child?.kill();
});

/** The server is still up and serves the app. */
async function stillServing(): Promise<void> {
  expect(child.exitCode, "the server process ended").toBeNull();
  const r = await get("/");
  expect(r.status).toBe(200);
  expect(r.body).toContain('<div id="app">');
}

describe("ultrasim web: hostile requests", () => {
  it.each([
    ["/%", 400],
    ["/%zz", 400],
    ["/%e2%82", 400],
    ["/%c0%ae%c0%ae/etc/passwd", 400],
    ["/index.html%00.png", 400],
    ["/index.html/x", 404],
    [`/${"a".repeat(300)}`, 404],
    [`/assets/${"b".repeat(256)}.js`, 404],
    ["/..%2f..%2f..%2fetc%2fpasswd", 403],
    ["/no-such-file.js", 404],
  ])("%s gets %i, and the server goes on", async (path, status) => {
    const r = await get(path);
    expect(r.status).toBe(status);
    expect(r.body).not.toMatch(/root:|at .*\.js:\d+/);
    await stillServing();
  });

  it("a request line that is not HTTP gets 400", async () => {
    expect((await raw(port, "HELLO\r\n\r\n")).status).toBe(400);
    expect((await raw(port, "GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n")).status).toBe(400);
    await stillServing();
  });

  it.each(["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])("%s gets 405 naming GET and HEAD", async (method) => {
    const r = await get("/", { method });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe("GET, HEAD");
    await stillServing();
  });

  it("refuses a Host that is not this server (DNS rebinding), and takes the loopback names", async () => {
    for (const host of ["evil.example", `evil.example:${port}`, `127.0.0.1:${port + 1}`, `10.0.0.1:${port}`])
      expect((await get("/", { host })).status, host).toBe(421);
    // No Host at all: HTTP/1.1 requires one (Node answers 400); HTTP/1.0 does not, and is refused too.
    expect((await get("/", { host: null })).status).toBe(400);
    expect((await raw(port, "GET / HTTP/1.0\r\n\r\n")).status).toBe(421);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`])
      expect((await get("/", { host })).status, host).toBe(200);
    await stillServing();
  });

  it("sends nosniff, a Content-Security-Policy and no framing with every answer", async () => {
    for (const path of ["/", "/index.html", "/%zz", "/no-such-file.js"]) {
      const r = await get(path);
      expect(r.headers["x-content-type-options"], path).toBe("nosniff");
      expect(r.headers["x-frame-options"], path).toBe("DENY");
      expect(r.headers["content-security-policy"], path).toBe(CONTENT_SECURITY_POLICY);
    }
    // Scripts and the module worker only from this origin; nothing may frame the app.
    expect(CONTENT_SECURITY_POLICY).toMatch(/script-src 'self'(;|$)/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/worker-src 'self'/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/frame-ancestors 'none'/);
    const head = await get("/", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
  });
});

describe("ultrasim web --host", () => {
  it("a name that does not resolve is one line and exit 2, no stack", () => {
    const r = spawnSync(process.execPath, [cli, "web", "--host", "no-such-host.invalid", "--port", "0"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^ultrasim: --host: cannot resolve 'no-such-host\.invalid'/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("takes the Host header the bound address answers to", () => {
    expect(hostAllowed("127.0.0.1:8080", "127.0.0.1", 8080)).toBe(true);
    expect(hostAllowed("localhost:8080", "127.0.0.1", 8080)).toBe(true);
    expect(hostAllowed("attacker.example:8080", "127.0.0.1", 8080)).toBe(false);
    expect(hostAllowed("127.0.0.1:8081", "127.0.0.1", 8080)).toBe(false);
    expect(hostAllowed("127.0.0.1", "127.0.0.1", 80)).toBe(true);
    // Every interface: any IP address with the port, and localhost; no other name.
    expect(hostAllowed("192.168.1.7:8080", "0.0.0.0", 8080)).toBe(true);
    expect(hostAllowed("[fe80::1]:8080", "::", 8080)).toBe(true);
    expect(hostAllowed("attacker.example:8080", "0.0.0.0", 8080)).toBe(false);
    // A named host: that name, or the address it was bound to.
    expect(hostAllowed("box.lan:8080", "box.lan", 8080, "192.168.1.7")).toBe(true);
    expect(hostAllowed("192.168.1.7:8080", "box.lan", 8080, "192.168.1.7")).toBe(true);
    expect(hostAllowed("localhost:8080", "box.lan", 8080, "192.168.1.7")).toBe(false);
    expect(hostAllowed(undefined, "127.0.0.1", 8080)).toBe(false);
  });
});
