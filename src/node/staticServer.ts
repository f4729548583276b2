// A tiny static file server over a built web app (web/dist): what `ultrasim web` and the browser tests
// use. It serves files only; every computation happens in the browser. Whatever a request holds, the
// answer is a status code, never an exception that ends the process: a path that does not decode, or
// that the file system refuses (a NUL byte, a segment too long, a file used as a folder), is a 400 or
// a 404; a method other than GET and HEAD is a 405; a Host header naming another site than the one
// bound (DNS rebinding: a page elsewhere whose name resolves to this address) is a 421.
import { createReadStream, statSync, type Stats } from "node:fs";
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from "node:http";
import { isIP } from "node:net";
import { extname, join, normalize, resolve, sep } from "node:path";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * What the app needs and no more: its own scripts and module worker ('self'), its stylesheet plus the
 * inline styles its charts set ('unsafe-inline' for styles only: Observable Plot writes style
 * attributes and <style> into its SVG), data: images (the favicon), and downloads made from blob:
 * URLs. No framing (clickjacking), no plugins, no <base>, no form posts.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: OutgoingHttpHeaders = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

/** Longest file name most file systems take (NAME_MAX): a longer segment names no file here. */
const NAME_MAX = 255;

export interface StaticServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];
const isLoopback = (host: string) => host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
const isWildcard = (host: string) => host === "0.0.0.0" || host === "::";
/** A host as a Host header writes it: IPv6 in brackets, lower case. */
const hostForm = (host: string) => (isIP(host) === 6 ? `[${host}]` : host).toLowerCase();

/**
 * Whether a Host header names this server: the bound name or address with its port, or, bound to
 * loopback, any loopback name. Bound to every interface (0.0.0.0 or ::), any IP address with the
 * port, and localhost: a name other than these could be any site's, resolving here (DNS rebinding).
 */
export function hostAllowed(header: string | undefined, boundHost: string, port: number, boundAddress = boundHost): boolean {
  if (!header) return false;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d+))?$/i.exec(header.trim().toLowerCase());
  if (!m) return false;
  const [, name, portText] = m;
  if (Number(portText ?? 80) !== port) return false;
  const bare = name!.replace(/^\[|\]$/g, "");
  if (isWildcard(boundHost)) return isIP(bare) !== 0 || bare === "localhost";
  if (isLoopback(boundHost)) return LOOPBACK_NAMES.includes(name!) || isLoopback(bare);
  return name === hostForm(boundHost) || name === hostForm(boundAddress);
}

function answer(res: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8", ...headers }).end(`${text}\n`);
}

/** The file a decoded URL path names under `base`, or a status and why not. */
function findFile(base: string, path: string): { file: string; stat: Stats } | { status: number; why: string } {
  if (path.includes("\0")) return { status: 400, why: "bad request: a NUL byte in the path" };
  if (path.split("/").some((segment) => segment.length > NAME_MAX)) return { status: 404, why: "not found" };
  let file = normalize(join(base, path));
  if (file !== base && !file.startsWith(base + sep)) return { status: 403, why: "forbidden" };
  try {
    let stat = statSync(file, { throwIfNoEntry: false });
    if (stat?.isDirectory()) {
      file = join(file, "index.html");
      stat = statSync(file, { throwIfNoEntry: false });
    }
    return stat?.isFile() ? { file, stat } : { status: 404, why: "not found" };
  } catch {
    // ENOTDIR (a file used as a folder), ENAMETOOLONG, EACCES, ELOOP: nothing to serve there.
    return { status: 404, why: "not found" };
  }
}

function handle(base: string, allowed: (host: string | undefined) => boolean, req: IncomingMessage, res: ServerResponse): void {
  if (!allowed(req.headers.host)) {
    answer(res, 421, "misdirected request: this server answers only to the address it listens on");
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    answer(res, 405, "method not allowed", { allow: "GET, HEAD" });
    return;
  }
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
  } catch {
    answer(res, 400, "bad request: the path does not decode");
    return;
  }
  const found = findFile(base, path);
  if ("status" in found) {
    answer(res, found.status, found.why);
    return;
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    "content-type": CONTENT_TYPES[extname(found.file)] ?? "application/octet-stream",
    "content-length": found.stat.size,
    "cache-control": "no-cache",
  });
  if (req.method === "HEAD") res.end();
  // A file gone between the stat and the read ends this response, not the server.
  else
    createReadStream(found.file)
      .on("error", () => res.destroy())
      .pipe(res);
}

/** Serve `root` on `host:port` (port 0: any free port). Unknown paths get a 404. */
export function serveStatic(root: string, port: number, host = "127.0.0.1"): Promise<StaticServer> {
  const base = resolve(root);
  let actualPort = port;
  let boundAddress = host;
  const allowed = (header: string | undefined) => hostAllowed(header, host, actualPort, boundAddress);
  const server = createServer((req, res) => {
    try {
      handle(base, allowed, req, res);
    } catch {
      // A bug here answers this request, and the server goes on.
      if (!res.headersSent) answer(res, 500, "internal error");
      else res.destroy();
    }
  });
  // A malformed request line or header: answer 400 and drop the connection.
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    else socket.destroy();
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      if (typeof address === "object" && address) [actualPort, boundAddress] = [address.port, address.address];
      resolvePromise({
        server,
        url: `http://${hostForm(host)}:${actualPort}/`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
