// A lock on one shard of a sweep's output directory, so that two runs of the same shard at once
// (two `sweep run` on the same --out) cannot append to one log: the lock file is created with O_EXCL
// and holds the pid and host of its run. A lock whose run has died (same host, no such process) is
// taken over; one from another host cannot be checked and is left to the user.
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { UltrasimError } from "../../engine/errors.js";

interface LockOwner {
  pid: number;
  host: string;
}

function readOwner(path: string): LockOwner | null | "gone" {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "gone";
    throw e;
  }
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    return Number.isInteger(owner.pid) && typeof owner.host === "string" ? (owner as LockOwner) : null;
  } catch {
    // Created but not yet written: its run is starting.
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: a process of another user holds that pid, alive.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Hold the lock at `path` until the returned release() is called; throws if a live run holds it. */
export function acquireLock(path: string, dir: string): () => void {
  const me: LockOwner = { pid: process.pid, host: hostname() };
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let owner = readOwner(path);
      // Created but not yet written: give its run a moment to write its pid.
      for (let wait = 0; owner === null && wait < 20; wait++) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        owner = readOwner(path);
      }
      if (owner === "gone") continue;
      if (owner === null || owner.host !== me.host || alive(owner.pid)) {
        const who = owner === null ? "a run starting now" : `pid ${owner.pid}${owner.host !== me.host ? ` on ${owner.host}` : ""}`;
        throw new UltrasimError(
          "INVALID_INPUT",
          `another run holds this directory (${who}): wait for it to finish, or delete ${path} if no run is going`,
          { field: "--out", file: dir },
        );
      }
      // Its run is dead: move the stale lock aside (one taker wins the rename) and check it was that one.
      const aside = `${path}.stale.${process.pid}`;
      try {
        renameSync(path, aside);
      } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw e2;
      }
      const moved = readOwner(aside);
      if (moved !== "gone" && moved !== null && moved.pid === owner.pid && moved.host === owner.host) {
        rmSync(aside, { force: true });
        continue;
      }
      // Another taker's fresh lock was moved: put it back (unless a third run has locked since); this run gives way.
      try {
        linkSync(aside, path);
      } catch {
        // a third run holds the lock now
      }
      rmSync(aside, { force: true });
      throw new UltrasimError("INVALID_INPUT", `another run holds this directory (it took over a stale lock just now)`, {
        field: "--out",
        file: dir,
      });
    }
    writeSync(fd, JSON.stringify(me) + "\n");
    closeSync(fd);
    return () => {
      const owner = readOwner(path);
      if (owner !== "gone" && owner !== null && owner.pid === me.pid && owner.host === me.host) rmSync(path, { force: true });
    };
  }
  throw new UltrasimError("INVALID_INPUT", `cannot take the lock ${path}: runs keep racing for it`, { field: "--out", file: dir });
}
