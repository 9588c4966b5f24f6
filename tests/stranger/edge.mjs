// §9.9 the server's edge, written from the document alone: the push token a laptop's key signs
// (header `Recap-Token`) and what the server makes of it. "GAP n" refers to README.md.

import { parse, canonicalBytes, isObject } from './canonical.mjs';
import { accepted } from './ed25519.mjs';
import { parseTime, keyIdOf } from './protocol.mjs';

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;
const DAY = 24 * 3600;
export const TOKEN_DOMAIN = 'recap/1\npush_token\n';
export const ANONYMOUS_LIMIT = 64 * 1024; // a push without a (usable) token: at most 64 KiB on the wire

// The token's text: base64url(payload, no padding) "." hex(signature).
export function makeToken(payload, sign) {
  const bytes = canonicalBytes(payload);
  const sig = sign(Buffer.concat([Buffer.from(TOKEN_DOMAIN, 'ascii'), bytes]));
  return `${bytes.toString('base64url')}.${Buffer.from(sig).toString('hex')}`;
}

// The server's verdict on a `Recap-Token` header at its clock `now`, with the certificates it
// holds (payloads) and the revoked key ids: {verdict, why} with verdict
//  'accepted'  — the key's share of the server (rates by key, the 16 MiB body limit);
//  'anonymous' — no token, or the token of a revoked key or of one with no certificate in force
//                now (none yet, none begun, all ended): a push of at most 64 KiB on the wire;
//  401         — a token that does not hold (checked from the headers alone, the body unread).
// GAP 104: the document lists the conditions without an order, and puts "the token of a key the
// server holds no certificate of, or of a revoked key" among pushes without a token (64 KiB),
// while "the server accepts a token whose … key is not revoked and holds a certificate in force
// now": read first as: parse, no certificate at all or revoked (anonymous), none in force now
// (401), signature, times. Settled by §9.9 (1)–(4): the text and payload (401); the times (401);
// a revoked key or one with no certificate in force now: anonymous; the signature (401). The
// signature is 128 lowercase hex digits and the base64url canonical, as read.
export function tokenVerdict(header, { certificates, revoked = new Set(), now }) {
  const no = (why) => ({ verdict: 401, why });
  if (header === undefined || header === null) return { verdict: 'anonymous', why: 'no token' };
  if (typeof header !== 'string') return no('not a text');
  const parts = header.split('.');
  if (parts.length !== 2) return no('not payload "." signature');
  const [b64, sigHex] = parts;
  if (!B64URL.test(b64) || !HEX128.test(sigHex)) return no('not base64url "." 128 hex digits');
  const bytes = Buffer.from(b64, 'base64url');
  if (bytes.toString('base64url') !== b64) return no('the base64url is not canonical');
  let p;
  try {
    p = parse(bytes, { canonical: true });
  } catch (e) {
    return no(`the payload is not canonical JSON: ${e.message}`);
  }
  if (!isObject(p) || Object.keys(p).sort().join() !== 'expires,issued,key_id,type' || p.type !== 'push_token') return no('the payload is not exactly {type: "push_token", key_id, issued, expires}');
  if (typeof p.key_id !== 'string' || !HEX64.test(p.key_id)) return no('key_id is not 64 lowercase hex');
  const issued = parseTime(p.issued);
  const expires = parseTime(p.expires);
  if (issued === null || expires === null) return no('issued or expires is not a protocol time');
  // GAP 104 settled (§9.9 (1)–(4)): times before the key; no certificate in force now is anonymous.
  const t = parseTime(now);
  if (!(issued < expires)) return no('expires is not after issued');
  if (expires > issued + 60 * DAY) return no('expires is more than 60 days after issued');
  if (t > expires + DAY) return no('expired more than a day ago');
  if (revoked.has(p.key_id)) return { verdict: 'anonymous', why: 'a revoked key' };
  const certs = certificates.filter((c) => c.key_id === p.key_id);
  const inForce = certs.filter((c) => parseTime(c.valid_from) <= t && t <= parseTime(c.valid_until) && keyIdOf(c.public_key) === p.key_id);
  if (!inForce.length) return { verdict: 'anonymous', why: 'no certificate of the key in force now' };
  const msg = Buffer.concat([Buffer.from(TOKEN_DOMAIN, 'ascii'), bytes]);
  if (!accepted(Buffer.from(inForce[0].public_key, 'hex'), Buffer.from(sigHex, 'hex'), msg)) return no('the signature is not accepted (§2)');
  return { verdict: 'accepted', why: null };
}
