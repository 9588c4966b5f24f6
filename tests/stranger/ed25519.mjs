// Ed25519 verification exactly as PROTOCOL.md §2 lists it, in BigInt arithmetic
// (RFC 8032 formulas), so that no library's leniency decides anything.

import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';

export const P = 2n ** 255n - 19n;
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;

const mod = (a, m = P) => {
  const r = a % m;
  return r >= 0n ? r : r + m;
};
const pow = (b, e, m = P) => {
  let r = 1n;
  b = mod(b, m);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
};
const inv = (a) => pow(a, P - 2n);
const D = mod(-121665n * inv(121666n));
const D2 = (2n * D) % P;
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

const SMALL_ORDER_Y = new Set([
  0n,
  1n,
  P - 1n,
  P,
  P + 1n,
  2707385501144840649318225287225658788936804267575313519463743609750303402022n,
  55188659117513257062467267217118295137698188065244968500265048394206261417927n,
]);

const BX = 15112221349535400772501151409588531511454012693041857206046113283949847762202n;
const BY = 46316835694926478169428394003475163141307993866256225615783033603165251855960n;
const B = [BX, BY, 1n, mod(BX * BY)];
const IDENTITY = [0n, 1n, 1n, 0n];

function add(p, q) {
  const [X1, Y1, Z1, T1] = p;
  const [X2, Y2, Z2, T2] = q;
  const A = mod((Y1 - X1) * (Y2 - X2));
  const Bb = mod((Y1 + X1) * (Y2 + X2));
  const C = mod(T1 * D2 % P * T2);
  const Dd = mod(Z1 * 2n * Z2);
  const E = Bb - A;
  const F = Dd - C;
  const G = Dd + C;
  const H = Bb + A;
  return [mod(E * F), mod(G * H), mod(F * G), mod(E * H)];
}

function dbl(p) {
  const [X1, Y1, Z1] = p;
  const A = (X1 * X1) % P;
  const Bb = (Y1 * Y1) % P;
  const C = (2n * Z1 * Z1) % P;
  const H = A + Bb;
  const E = mod(H - (X1 + Y1) * (X1 + Y1));
  const G = mod(A - Bb);
  const F = C + G;
  return [mod(E * F), mod(G * H), mod(F * G), mod(E * H)];
}

const neg = ([X, Y, Z, T]) => [mod(-X), Y, Z, mod(-T)];

// [a]P + [b]Q, Straus' trick.
function doubleMul(a, Pp, b, Q) {
  const PQ = add(Pp, Q);
  let R = IDENTITY;
  const n = Math.max(a.toString(2).length, b.toString(2).length);
  for (let i = n - 1; i >= 0; i--) {
    R = dbl(R);
    const bi = BigInt(i);
    const x = (a >> bi) & 1n;
    const y = (b >> bi) & 1n;
    if (x && y) R = add(R, PQ);
    else if (x) R = add(R, Pp);
    else if (y) R = add(R, Q);
  }
  return R;
}

const le = (bytes) => {
  let r = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) r = (r << 8n) | BigInt(bytes[i]);
  return r;
};

function encodePoint([X, Y, Z]) {
  const zi = inv(Z);
  const x = mod(X * zi);
  let y = mod(Y * zi);
  const out = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(y & 0xffn);
    y >>= 8n;
  }
  if (x & 1n) out[31] |= 0x80;
  return out;
}

// RFC 8032 §5.1.3, refusing a non-canonical y.
function decodePoint(bytes) {
  const n = le(bytes);
  const sign = n >> 255n;
  const y = n & ((1n << 255n) - 1n);
  if (y >= P) return null;
  const y2 = (y * y) % P;
  const x2 = mod((y2 - 1n) * inv(D * y2 + 1n));
  let x = pow(x2, (P + 3n) / 8n);
  if (mod(x * x - x2) !== 0n) x = (x * SQRT_M1) % P;
  if (mod(x * x - x2) !== 0n) return null;
  if (x === 0n && sign === 1n) return null;
  if ((x & 1n) !== sign) x = P - x;
  return [x, y, 1n, mod(x * y)];
}

export function isSmallOrderEncoding(bytes) {
  const y = le(bytes) & ((1n << 255n) - 1n);
  return SMALL_ORDER_Y.has(y);
}

// §2 items 3 and 4 for a public key.
export function publicKeyProblem(pk) {
  if (!(pk instanceof Uint8Array) || pk.length !== 32) return 'public key is not 32 bytes';
  if (isSmallOrderEncoding(pk)) return 'public key is a small-order encoding';
  const y = le(pk) & ((1n << 255n) - 1n);
  if (y >= P) return 'public key is not canonical';
  if (!decodePoint(pk)) return 'public key is not a curve point';
  return null;
}

// Returns null when the signature is accepted under §2, else the reason it is refused.
export function signatureProblem(pk, sig, msg) {
  if (!(sig instanceof Uint8Array) || sig.length !== 64) return 'signature is not 64 bytes';
  if (!(pk instanceof Uint8Array) || pk.length !== 32) return 'public key is not 32 bytes';
  const R = sig.subarray(0, 32);
  const S = le(sig.subarray(32, 64));
  if (S >= L) return 'S >= L';
  if (isSmallOrderEncoding(pk)) return 'A is a small-order encoding';
  if (isSmallOrderEncoding(R)) return 'R is a small-order encoding';
  const y = le(pk) & ((1n << 255n) - 1n);
  if (y >= P) return 'A is not canonical';
  const A = decodePoint(pk);
  if (!A) return 'A is not a curve point';
  const k = le(createHash('sha512').update(R).update(pk).update(msg).digest()) % L;
  const Rc = doubleMul(S, B, k, neg(A));
  if (!encodePoint(Rc).equals(Buffer.from(R))) return '[S]B - [k]A != R';
  return null;
}

const cache = new Map();
export function accepted(pk, sig, msg) {
  const key = createHash('sha256').update(pk).update(sig).update(msg).digest('hex');
  if (!cache.has(key)) cache.set(key, signatureProblem(pk, sig, msg) === null);
  return cache.get(key);
}

// Node/OpenSSL's verdict, only to report where it differs from §2.
export function opensslAccepts(pk, sig, msg) {
  try {
    const key = createPublicKey({
      key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(pk)]),
      format: 'der',
      type: 'spki',
    });
    return nodeVerify(null, msg, key, sig);
  } catch {
    return false;
  }
}

function privateKey(seed) {
  return createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed)]),
    format: 'der',
    type: 'pkcs8',
  });
}

export function publicKeyFromSeed(seed) {
  const der = createPublicKey(privateKey(seed)).export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

export function signWithSeed(seed, msg) {
  return nodeSign(null, msg, privateKey(seed));
}
