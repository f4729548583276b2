// SHA-256 (FIPS 180-4) of a string's UTF-8 bytes, from @noble/hashes: audited, pure JavaScript and
// free of any runtime's crypto API, so the engine hashes the same in Node, a worker or a browser.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
