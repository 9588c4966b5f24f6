// §9.8 photos of the paper, written from the document alone. A verifier never needs the images
// to check a sheet (§4 checks the `photos` list's shape); this is what a holder decides of an
// image it has, and the server's answers to a resumable upload. "GAP n" refers to README.md.

import { createHash } from 'node:crypto';
import { MAX_PHOTO_BYTES } from './protocol.mjs';

const HEX64 = /^[0-9a-f]{64}$/;
export const MAX_CHUNK = 2 * 1024 * 1024; // 2 MiB
const SIGNATURES = { 'image/png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'image/jpeg': Buffer.from([0xff, 0xd8, 0xff]) };
const sha256hex = (b) => createHash('sha256').update(b).digest('hex');

// "What an image is": bytes beginning with the PNG signature (image/png) or FF D8 FF
// (image/jpeg), 1 … 10,485,760 of them. Returns its type, or null.
export function imageType(bytes) {
  if (!Buffer.isBuffer(bytes) || bytes.length < 1 || bytes.length > MAX_PHOTO_BYTES) return null;
  for (const [type, sig] of Object.entries(SIGNATURES)) if (bytes.length >= sig.length && bytes.subarray(0, sig.length).equals(sig)) return type;
  return null;
}

// A photo a held sheet names ({bytes, sha256, type}), at a holder with `held` (the bytes it keeps
// under that name, or null): `kept` (length, SHA-256 and first bytes exactly what the sheet
// names), `missing` (none) or `altered` (other bytes under its name).
export function photoState(named, held) {
  if (held == null) return 'missing';
  return held.length === named.bytes && sha256hex(held) === named.sha256 && imageType(held) === named.type ? 'kept' : 'altered';
}

// "Down": an answer to GET /v1/photos/{sha256} is kept only if it is exactly the photo named;
// else it is refused and kept nowhere. Returns true when kept.
export const acceptDownload = (named, answer) => Buffer.isBuffer(answer) && answer.length <= MAX_PHOTO_BYTES && photoState(named, answer) === 'kept';

// "Up": the server's side of PUT /v1/photos/{sha256}?sheet=HASH&offset=N. `sheets` maps the hash
// of each sheet the server holds to its payload; `store` maps sha256 to {received: Buffer,
// complete}. Returns {status, received, complete}; a refusal keeps nothing of the request.
// GAP 101 (settled, §9.8): 400 (hashes, offset), 404, a photo held whole answered complete at
// once, 409, 413, 400 (an empty chunk), 415, 422. A first chunk begins as its type only when it
// holds the type's whole signature (a prefix of it is 415).
export function putChunk({ sheets, store }, sha, sheetHash, offset, chunk) {
  const refuse = (status) => ({ status, received: store.has(sha) ? store.get(sha).received.length : 0, complete: false });
  if (typeof sha !== 'string' || !HEX64.test(sha) || typeof sheetHash !== 'string' || !HEX64.test(sheetHash) || !Buffer.isBuffer(chunk)) return refuse(400);
  const sheet = sheets.get(sheetHash);
  const named = sheet && sheet.type === 'sheet' && Array.isArray(sheet.photos) ? sheet.photos.find((ph) => ph.sha256 === sha) : null;
  if (!named) return refuse(404);
  const have = store.get(sha) || { received: Buffer.alloc(0), complete: false };
  if (have.complete) return { status: 200, received: have.received.length, complete: true };
  if (!Number.isSafeInteger(offset) || offset !== have.received.length) return refuse(409);
  if (chunk.length > MAX_CHUNK || offset + chunk.length > named.bytes) return refuse(413);
  if (chunk.length === 0) return refuse(400);
  if (offset === 0) {
    const sig = SIGNATURES[named.type];
    if (chunk.length < sig.length || !chunk.subarray(0, sig.length).equals(sig)) return refuse(415);
  }
  const received = Buffer.concat([have.received, chunk]);
  if (received.length === named.bytes) {
    if (sha256hex(received) !== sha) {
      store.delete(sha); // what was received is dropped; the upload starts again from 0
      return { status: 422, received: 0, complete: false };
    }
    store.set(sha, { received, complete: true });
    return { status: 200, received: received.length, complete: true };
  }
  store.set(sha, { received, complete: false });
  return { status: 200, received: received.length, complete: false };
}

// POST /v1/photos/missing: for each photo the sheets named (held sheets only; a record that is
// no sheet names none) that the server does not hold whole: {sha256, bytes, type, sheet,
// received}: each photo once, by ascending sha256, with the first sheet naming it. At most 500
// sheets, else 400 (GAP 102 settled, as read).
export function missingPhotos({ sheets, store }, sheetHashes) {
  if (!Array.isArray(sheetHashes) || sheetHashes.length > 500) return { status: 400 };
  const photos = [];
  const seen = new Set();
  for (const h of sheetHashes) {
    const s = sheets.get(h);
    if (!s || s.type !== 'sheet' || !Array.isArray(s.photos)) continue;
    for (const ph of s.photos) {
      const have = store.get(ph.sha256);
      if ((have && have.complete) || seen.has(ph.sha256)) continue;
      seen.add(ph.sha256);
      photos.push({ sha256: ph.sha256, bytes: ph.bytes, type: ph.type, sheet: h, received: have ? have.received.length : 0 });
    }
  }
  return { status: 200, photos: photos.sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0)) };
}
