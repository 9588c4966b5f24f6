// The transparency log of PROTOCOL.md §10, written from the document alone (and RFC 9162
// §2.1, which it cites). Where the document leaves a choice open, the choice is marked
// "GAP n" (the numbers refer to the list in README.md).

import { createHash } from 'node:crypto';
import { canonicalBytes, isObject } from './canonical.mjs';
import { parseEnvelope, signatureAccepted, checkCertificate, checkTreeHead, checkReceipt, parseTime, Refusal, compareCodePoints, placeOf, CHAINED, keyIdOf, REGION_RE } from './protocol.mjs';

const HEX64 = /^[0-9a-f]{64}$/;
const isInt = (v) => typeof v === 'number' && Number.isSafeInteger(v);

// ---------------------------------------------------------------- RFC 9162 §2.1

const sha256 = (...parts) => createHash('sha256').update(Buffer.concat(parts)).digest();
export const EMPTY_ROOT = sha256(Buffer.alloc(0)); // MTH({}) = SHA-256()
export const hashLeaf = (bytes) => sha256(Buffer.from([0x00]), bytes); // MTH({d}) = SHA-256(0x00 || d)
export const hashNode = (l, r) => sha256(Buffer.from([0x01]), l, r); // SHA-256(0x01 || left || right)

// k: the largest power of two smaller than n (n > 1).
function split(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// MTH(D[n]) over leaf hashes already computed (§2.1.1).
export function treeRoot(leafHashes) {
  const n = leafHashes.length;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leafHashes[0];
  const k = split(n);
  return hashNode(treeRoot(leafHashes.slice(0, k)), treeRoot(leafHashes.slice(k)));
}

// PATH(m, D[n]) (§2.1.3.1), over leaf hashes.
export function inclusionProof(m, leafHashes) {
  const n = leafHashes.length;
  if (n <= 1) return [];
  const k = split(n);
  if (m < k) return [...inclusionProof(m, leafHashes.slice(0, k)), treeRoot(leafHashes.slice(k))];
  return [...inclusionProof(m - k, leafHashes.slice(k)), treeRoot(leafHashes.slice(0, k))];
}

// PROOF(m, D[n]) = SUBPROOF(m, D[n], true) (§2.1.4.1), over leaf hashes.
export function consistencyProof(m, leafHashes) {
  const sub = (m, d, b) => {
    const n = d.length;
    if (m === n) return b ? [] : [treeRoot(d)];
    const k = split(n);
    if (m <= k) return [...sub(m, d.slice(0, k), b), treeRoot(d.slice(k))];
    return [...sub(m - k, d.slice(k), false), treeRoot(d.slice(0, k))];
  };
  return sub(m, leafHashes, true);
}

const asBuf = (h) => (Buffer.isBuffer(h) ? h : Buffer.from(h, 'hex'));
const is32 = (b) => Buffer.isBuffer(b) && b.length === 32;

// Verifying an inclusion proof (§2.1.3.2). Sizes as BigInt so that any index up to 2^53 works.
export function verifyInclusion(index, size, leaf, proof, root) {
  leaf = asBuf(leaf);
  root = asBuf(root);
  if (!is32(leaf) || !is32(root) || !Array.isArray(proof)) return false;
  if (!isInt(index) || !isInt(size) || index < 0 || index >= size) return false;
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = leaf;
  for (const p0 of proof) {
    const p = asBuf(p0);
    if (!is32(p)) return false;
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = hashNode(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else r = hashNode(r, p);
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && r.equals(root);
}

// Verifying a consistency proof (§2.1.4.2). As the Go library's vectors require, sizes of 0
// are refused here (§10.3 needs no proof from 0: the caller decides that, not this function).
export function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  firstRoot = asBuf(firstRoot);
  secondRoot = asBuf(secondRoot);
  if (!Array.isArray(proof)) return false;
  if (!isInt(first) || !isInt(second) || first < 1 || first > second) return false;
  // equal sizes: an empty proof and the same root (RFC 9162 §2.1.4.2 step 2)
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (!is32(firstRoot) || !is32(secondRoot)) return false;
  const path = proof.map(asBuf);
  if (!path.every(is32)) return false;
  let fn = BigInt(first - 1);
  let sn = BigInt(second - 1);
  const pow2 = (BigInt(first) & BigInt(first - 1)) === 0n;
  if (pow2) path.unshift(firstRoot);
  if (path.length === 0) return false;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = hashNode(c, fr);
      sr = hashNode(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else sr = hashNode(sr, c);
    fn >>= 1n;
    sn >>= 1n;
  }
  return fr.equals(firstRoot) && sr.equals(secondRoot) && sn === 0n;
}

// ---------------------------------------------------------------- §10.2 entries and partitions

// A record's partition: the first three dot-separated groups of the code of the place it acts
// on; a code of fewer groups is its own partition; a certificate's place is its jurisdiction (a
// server's, "", is the whole election); packages and revocation lists are in "".
export const partitionOfPlace = (code) => code.split('.').slice(0, 3).join('.');
export function partitionOf(payload) {
  if (CHAINED.includes(payload.type)) return partitionOfPlace(placeOf(payload));
  // §10.2: "A certificate is in the partition of its jurisdiction (…); a server's certificate,
  // whose jurisdiction is "", and the package and revocation lists are in the partition """
  // (the log stores nothing else: §5 admits nothing else).
  if (payload.type === 'certificate' && typeof payload.jurisdiction === 'string' && REGION_RE.test(payload.jurisdiction)) return partitionOfPlace(payload.jurisdiction);
  return '';
}

// The leaf of an entry: the canonical JSON of exactly {hash, index, partition, received}.
export const entryLeaf = ({ hash, index, partition, received }) => canonicalBytes({ hash, index, partition, received });
export const entryLeafHash = (e) => hashLeaf(entryLeaf(e));
// A leaf of the partitions tree: {partition, root (hex), size}.
export const partitionLeaf = ({ partition, root, size }) => canonicalBytes({ partition, root, size });
export const partitionLeafHash = (l) => hashLeaf(partitionLeaf(l));

// The whole log from its entries (in index order): the log's root, each partition's size and
// root (sorted by name, as strings of code points, "" first), the partitions tree's root.
export function buildLog(entries) {
  const leaves = entries.map(entryLeafHash);
  const byPartition = new Map();
  entries.forEach((e, i) => {
    if (!byPartition.has(e.partition)) byPartition.set(e.partition, []);
    byPartition.get(e.partition).push(leaves[i]);
  });
  const partitions = [...byPartition.keys()].sort(compareCodePoints).map((p) => {
    const l = byPartition.get(p);
    return { partition: p, size: l.length, root: treeRoot(l).toString('hex') };
  });
  const summary = partitions.map(partitionLeafHash);
  return { size: entries.length, leaves, root: treeRoot(leaves).toString('hex'), partitions, summaryLeaves: summary, partitionsRoot: treeRoot(summary).toString('hex'), partitionCount: partitions.length };
}

// ---------------------------------------------------------------- §10.1, §10.2 heads

// The server certificates a holder has admitted (§10.1): each checked as an authority record
// (§5.2: signed by the authority, members exact, of the holder's election) with role server and
// jurisdiction "". GAP 62: §5.2 also wants a package in force (`no_election`); the log vectors
// carry none, so the certificate is checked against the election the file names.
export function admitServerCertificate(record, { authorityKey, election }) {
  let env;
  try {
    env = parseEnvelope(record);
  } catch (e) {
    return { ok: false, why: e.message };
  }
  if (env.type !== 'certificate') return { ok: false, why: 'not a certificate' };
  if (env.signer !== keyIdOf(authorityKey) || !signatureAccepted(env, authorityKey)) return { ok: false, why: 'bad_signature' };
  try {
    checkCertificate(env.payload);
  } catch (e) {
    return { ok: false, why: e.message };
  }
  if (env.payload.election !== election) return { ok: false, why: 'wrong_election' };
  if (env.payload.role !== 'server' || env.payload.jurisdiction !== '') return { ok: false, why: 'not a server certificate' };
  return { ok: true, cert: env.payload };
}

// The server certificates of a key in force at a time (§10.1): role server, jurisdiction "",
// valid_from <= time <= valid_until, the key not revoked ("a revoked server key vouches for
// nothing, whenever it signed").
export function serverCertificatesAt(certificates, keyId, time, revoked = new Set()) {
  const t = parseTime(time);
  if (t === null || revoked.has(keyId)) return [];
  return certificates.filter((c) => c.key_id === keyId && c.role === 'server' && c.jurisdiction === '' && parseTime(c.valid_from) <= t && t <= parseTime(c.valid_until));
}

// §10.1 the handshake: a laptop talks to a server only while its key has a server certificate
// in force at the laptop's own clock (`now`). Returns null, `uncertified_server` (evidence: no
// server certificate of the key at all, or the key revoked), or `server_certificate_time` (not
// evidence, nothing kept: the key has server certificates, none in force at the laptop's clock).
// GAP 85: a revoked key with certificates is read as `uncertified_server` ("a revoked server key
// vouches for nothing"), not `server_certificate_time`.
export function handshake(certificates, keyId, now, revoked = new Set()) {
  if (serverCertificatesAt(certificates, keyId, now, revoked).length) return null;
  if (revoked.has(keyId)) return 'uncertified_server';
  return certificates.some((c) => c.key_id === keyId && c.role === 'server' && c.jurisdiction === '') ? 'server_certificate_time' : 'uncertified_server';
}

// §10.1 rotation: the keys a laptop trusts as servers, those with a server certificate (at any
// time) that are not revoked. When the set changes, what rests on keys outside it is dropped.
export function trustedServerKeys(certificates, revoked = new Set()) {
  return [...new Set(certificates.filter((c) => c.role === 'server' && c.jurisdiction === '' && !revoked.has(c.key_id)).map((c) => c.key_id))].sort();
}

// A head's verdict for a holder: {valid, kind (null | bad_head | uncertified_server), why, env}.
// §10.2, checked in this order: members exactly these and of these kinds (bad_head); `election`
// the holder's (bad_head); `server` its envelope's `signer` (bad_head); a server certificate of
// that key, not revoked, in force at the head's `time` (uncertified_server); the signature under
// that certificate's key (bad_head). The laptop's own clock is the handshake's (above).
export function headVerdict(record, { election, certificates, revoked = new Set() }) {
  const bad = (kind, why, env = null) => ({ valid: false, kind, why, env });
  let env;
  try {
    env = parseEnvelope(record);
    if (env.type !== 'tree_head') return bad('bad_head', `type ${env.type}`);
    checkTreeHead(env.payload);
  } catch (e) {
    if (e instanceof Refusal) return bad('bad_head', e.message);
    throw e;
  }
  const p = env.payload;
  if (p.election !== election) return bad('bad_head', `names the election ${p.election}`, env);
  if (p.server !== env.signer) return bad('bad_head', 'server is not the signer', env);
  const inForce = serverCertificatesAt(certificates, env.signer, p.time, revoked);
  if (!inForce.length) return bad('uncertified_server', "no server certificate of the key is in force at the head's time", env);
  if (!signatureAccepted(env, inForce[0].public_key)) return bad('bad_head', 'the signature is not accepted (§2)', env);
  return { valid: true, kind: null, why: null, env };
}

// Two heads state the same log when their `size`, `root`, `partitions` and `partition_count`
// are equal (§10.3 items 1 and 3, §10.7).
export const sameLog = (a, b) => a.size === b.size && a.root === b.root && a.partitions === b.partitions && a.partition_count === b.partition_count;
const hexList = (l) => Array.isArray(l) && l.every((x) => typeof x === 'string' && HEX64.test(x));

// §10.3: whether `next` (new, size n) extends `kept` (old, size m), both valid heads' payloads,
// in the document's order. Returns null (extends) or the verdict:
//  1. n < m, new signed no later than old: `stale` (not evidence: settled by the heads the server
//     lists at size m, `settleByHeads` below);
//  2. n < m, new signed later: `rolled_back`;
//  3. n = m: equal root, partitions and partition_count, else `forked`;
//  4. m = 0: extends (no proof asked or read);
//  5. m < n: the proof must parse (a list of 64-hex hashes; else `bad_answer`, a broken answer,
//     not evidence) and verify against the two roots (else `inconsistent`; the document asks for
//     it once more first: `retried`, when given, is that second proof).
export function extendsVerdict(kept, next, proof, retried) {
  const m = kept.size;
  const n = next.size;
  if (n < m) return parseTime(next.time) <= parseTime(kept.time) ? 'stale' : 'rolled_back';
  if (n === m) return sameLog(kept, next) ? null : 'forked';
  if (m === 0) return null;
  if (!hexList(proof)) return 'bad_answer';
  if (verifyConsistency(m, n, kept.root, next.root, proof)) return null;
  if (retried === undefined) return 'inconsistent';
  if (!hexList(retried)) return 'bad_answer';
  return verifyConsistency(m, n, kept.root, next.root, retried) ? null : 'inconsistent';
}

// §10.3 item 1 (and item 5's 404): the heads the server lists at `GET /v1/log/heads?size=N`,
// checked against `ref` (old, or new for a 404), N its size. Each listed head is checked by
// §10.2 (its kind when it is not valid, GAP 80) and must be of size N (else `bad_answer`: a
// broken answer, retried). One stating the same log as `ref`: `stale` (a stale answer, retried
// later, nothing kept); another: `forked` (kept: ref and that head); none: `rolled_back`.
// GAP 79: a list holding both one equal to `ref` and another is read as `forked` (two valid
// heads of one size with different roots are `forked` by §10.6, whatever else is listed).
// Returns {kind, head} (head: the other head of a fork).
export function settleByHeads(ref, listed, ctx) {
  if (!Array.isArray(listed)) return { kind: 'bad_answer', head: null };
  const valid = [];
  for (const h of listed) {
    const v = headVerdict(h, ctx);
    if (!v.valid) return { kind: v.kind, head: h };
    if (v.env.payload.size !== ref.size) return { kind: 'bad_answer', head: h };
    valid.push(v.env);
  }
  const other = valid.find((e) => !sameLog(e.payload, ref));
  if (other) return { kind: 'forked', head: other };
  if (valid.length) return { kind: 'stale', head: null };
  return { kind: 'rolled_back', head: null };
}

// §10.7 gossip: heads imported from a bundle (the exporter's newest, then those it relied on,
// largest first; at most 16), each checked by §10.2 and compared with every head the laptop keeps
// of the same size: another root, partitions or partition_count is `forked` at once (the first
// such pair). Returns {kind: null | 'forked', pair, kept: [valid heads kept as gossip],
// ignored: [heads that are not valid]}. GAP 81: a head of a bundle that is not valid (§10.2) is
// read as ignored (not kept, not evidence: the server did not sign it, or not for this election),
// and a bundle with more than 16 heads as refused whole (`bad_answer`).
export function gossipVerdict(imported, keptHeads, ctx) {
  if (!Array.isArray(imported) || imported.length > 16) return { kind: 'bad_answer', pair: null, kept: [], ignored: [] };
  const kept = [];
  const ignored = [];
  const all = [...keptHeads];
  for (const h of imported) {
    const v = headVerdict(h, ctx);
    if (!v.valid) {
      ignored.push(h);
      continue;
    }
    const clash = all.find((k) => k.payload.size === v.env.payload.size && !sameLog(k.payload, v.env.payload));
    if (clash) return { kind: 'forked', pair: [clash, v.env], kept, ignored };
    kept.push(v.env);
    all.push(v.env);
  }
  return { kind: null, pair: null, kept, ignored };
}

// §10.3 and §10.7 together: the heads a laptop keeps (the newest, those relied on before, gossip)
// and what each new head does to them. `offer` takes a head from the server (handshake, receipt,
// pull page) with the proof from the newest held's size (`proof`, and `retried` when asked once
// more) and the heads the server lists at a size (`listed`, by size, for item 1 and a 404);
// `importBundle` takes a bundle's heads (§10.7); `sync` checks the server's head against every
// gossip head (the gossip head as `old`). Each returns {kind, kept}: kind null when all holds,
// else the verdict; `kept` the pair of signed heads kept as evidence (none for stale or
// bad_answer, which are retried).
export class HeadKeeper {
  constructor(ctx) {
    this.ctx = ctx;
    this.newest = null;
    this.relied = [];
    this.gossip = [];
  }

  all() {
    return [...(this.newest ? [this.newest] : []), ...this.relied, ...this.gossip];
  }

  _extends(old, env, { proof, retried, listed = {}, notFound = false } = {}) {
    if (notFound && old.payload.size < env.payload.size) {
      // item 5: a 404 for the proof, settled as in 1 with `new` in the place of `old`
      const s = settleByHeads(env.payload, listed[env.payload.size], this.ctx);
      return { kind: s.kind, kept: s.kind === 'forked' ? [env, s.head] : s.kind === 'rolled_back' ? [old, env] : null };
    }
    const kind = extendsVerdict(old.payload, env.payload, proof, retried);
    if (kind !== 'stale') return { kind, kept: kind && kind !== 'bad_answer' ? [old, env] : null };
    const s = settleByHeads(old.payload, listed[old.payload.size], this.ctx);
    return { kind: s.kind, kept: s.kind === 'forked' ? [old, s.head] : s.kind === 'rolled_back' ? [old, env] : null };
  }

  offer(record, opts = {}) {
    const v = headVerdict(record, this.ctx);
    if (!v.valid) return { kind: v.kind, kept: [record] };
    if (this.newest) {
      const r = this._extends(this.newest, v.env, opts);
      if (r.kind) return r;
      if (this.newest.hash !== v.env.hash) this.relied.push(this.newest);
    }
    this.newest = v.env;
    return { kind: null, kept: null };
  }

  importBundle(heads) {
    const g = gossipVerdict(heads, this.all(), this.ctx);
    if (g.kind) return { kind: g.kind, kept: g.pair };
    for (const e of g.kept) if (!this.all().some((k) => k.hash === e.hash)) this.gossip.push(e);
    return { kind: null, kept: null };
  }

  // the server's head against every gossip head: proofs[m] the proof from size m, listed[m] the
  // heads the server lists at size m. A gossip head that holds is dropped from gossip (read so:
  // it is then a head the server's extends, GAP 99).
  sync(record, { proofs = {}, listed = {} } = {}) {
    const v = headVerdict(record, this.ctx);
    if (!v.valid) return { kind: v.kind, kept: [record] };
    for (const g of [...this.gossip]) {
      const r = this._extends(g, v.env, { proof: proofs[g.payload.size], listed });
      if (r.kind) return r;
      this.gossip = this.gossip.filter((x) => x !== g);
    }
    return this.offer(record, { proof: this.newest ? proofs[this.newest.payload.size] : undefined, listed });
  }
}

// ---------------------------------------------------------------- §10.4 receipts

const popcount = (n) => {
  let c = 0;
  for (let x = BigInt(n); x > 0n; x >>= 1n) c += Number(x & 1n);
  return c;
};

// Appending leaf hashes to a frontier (the perfect subtrees of a tree of `size` leaves,
// largest first, one per set bit of `size`), as a tree grows. Returns {size, root} (hex), or
// null when the frontier does not have the shape its size gives.
export function appendToFrontier(size, frontier, leaves) {
  if (!isInt(size) || size < 0 || !Array.isArray(frontier) || !Array.isArray(leaves)) return null;
  if (frontier.length !== popcount(size)) return null;
  if (![...frontier, ...leaves].every((h) => typeof h === 'string' && HEX64.test(h))) return null;
  const bits = [];
  for (let b = 52; b >= 0; b--) if (Math.floor(size / 2 ** b) % 2 === 1) bits.push(2 ** b);
  const stack = frontier.map((h, i) => ({ h: Buffer.from(h, 'hex'), s: bits[i] }));
  for (const l of leaves) {
    stack.push({ h: Buffer.from(l, 'hex'), s: 1 });
    while (stack.length >= 2 && stack[stack.length - 1].s === stack[stack.length - 2].s) {
      const r = stack.pop();
      const l2 = stack.pop();
      stack.push({ h: hashNode(l2.h, r.h), s: l2.s * 2 });
    }
  }
  let root = stack.length ? stack[stack.length - 1].h : EMPTY_ROOT;
  for (let i = stack.length - 2; i >= 0; i--) root = hashNode(stack[i].h, root);
  return { size: size + leaves.length, root: root.toString('hex') };
}

// The append check alone (§10.4 `append`): the leaves (hashes) appended to the frontier of
// `size_before` give the head's root, and size_before plus their number is the head's size.
export function appendHolds(head, sizeBefore, frontier, leafHashes) {
  const r = appendToFrontier(sizeBefore, frontier, leafHashes);
  return r !== null && r.size === head.size && r.root === head.root;
}

// The whole of §10.4 for one push answer. `receipt` and `head` are the answer's envelopes (as
// received), `proofs` its proofs, `known` the payload of the newest head the laptop holds (null:
// none, `known` = 0), `sent` the hashes the laptop sent, in the batch's order, and
// `partitionOfHash` the partition of each record the laptop pushed, by hash. `serverKey` is the
// key id the laptop talks to (the handshake's); by default the head's `server`, else the
// receipt's signer. Returns {kind, why}: kind null when every record listed may be marked sent,
// else the verdict, in the document's order:
//  0. a broken answer, not evidence (`bad_answer`, the push retried): the receipt does not parse
//     (envelope, §4 members), or does not verify under the server's key (the certified key of the
//     answer's head: read as the public key of a server certificate of `serverKey`, at any time,
//     GAP 82), or lists a hash twice in `stored` and `held` together;
//  1. the head is valid (§10.2: `bad_head`, `uncertified_server`);
//  2. it is the receipt's: its hash, its signer (and, read so, the receipt's `server` is its
//     signer and its `election` the holder's) (`bad_receipt`);
//  3. the receipt's `time` lies within a server certificate of its key, not revoked
//     (`uncertified_server`);
//  4. `proofs` has exactly its three members, `append` exactly its two (`bad_receipt`, GAP 83);
//  5. the head extends `known` (§10.3: `stale`, `rolled_back`, `forked`, `bad_answer` for a
//     proof that does not parse, `inconsistent`); a proof given where none is needed is not read;
//  6. every hash listed as stored, held or refused is one the laptop sent, and every hash it sent
//     is listed exactly once among them (a `{item, reason}` refusal lists the batch's item, GAP
//     84) (`bad_receipt`);
//  7. the stored entries' indices are a, a+1, …; 8. they give the head's root (and a plus their
//     number is its size); 9. each held one is included, its proof under its hash in `held`
//     (exactly one proof per held hash, read so) (`bad_receipt`).
// `heldOnly` (§9.9 first contact, `POST /v1/push/held`): the laptop sent hashes only; the answer
// is checked "exactly as the answer to a push of the records its receipt lists `held`": each
// listed once, each with its inclusion proof, a hash listed that was not asked `bad_receipt`; a
// hash not held is answered `unknown` and is in no list, so a hash asked need not be listed.
// GAP 105: read also: such a receipt lists nothing `stored` or `refused` (else `bad_receipt`).
export function receiptVerdict({ receipt, head, proofs, known = null, sent = null, election, certificates, revoked = new Set(), partitionOfHash, serverKey = null, heldOnly = false }) {
  const no = (kind, why) => ({ kind, why });
  // 0. a broken answer
  let env;
  try {
    env = parseEnvelope(receipt);
    if (env.type !== 'receipt') return no('bad_answer', `type ${env.type}`);
    checkReceipt(env.payload);
  } catch (e) {
    if (e instanceof Refusal) return no('bad_answer', `the receipt does not parse: ${e.message}`);
    throw e;
  }
  const r = env.payload;
  if (serverKey === null) serverKey = isObject(head) && isObject(head.payload) && typeof head.payload.server === 'string' ? head.payload.server : env.signer;
  const keyCert = certificates.find((c) => c.key_id === serverKey && c.role === 'server' && c.jurisdiction === '');
  if (!keyCert || env.signer !== serverKey || !signatureAccepted(env, keyCert.public_key)) return no('bad_answer', "the receipt does not verify under the server's key");
  const listed = [...r.stored, ...r.held].map((e) => e.hash);
  if (new Set(listed).size !== listed.length) return no('bad_answer', 'a hash is listed twice in stored and held together');
  // 1. the head is valid
  const hv = headVerdict(head, { election, certificates, revoked });
  if (!hv.valid) return no(hv.kind, hv.why);
  const h = hv.env.payload;
  // 2. it is the receipt's
  if (r.head !== hv.env.hash) return no('bad_receipt', 'names another head');
  if (env.signer !== hv.env.signer) return no('bad_receipt', "the head's signer is not the receipt's");
  if (r.server !== env.signer) return no('bad_receipt', 'server is not the signer');
  if (r.election !== election) return no('bad_receipt', `names the election ${r.election}`);
  // 3. the receipt's time
  if (!serverCertificatesAt(certificates, env.signer, r.time, revoked).length) return no('uncertified_server', "no server certificate of the key is in force at the receipt's time");
  // 4. proofs has its members
  if (!isObject(proofs) || Object.keys(proofs).sort().join() !== 'append,consistency,held') return no('bad_receipt', 'proofs is not exactly {append, held, consistency}');
  if (!isObject(proofs.append) || Object.keys(proofs.append).sort().join() !== 'frontier,size') return no('bad_receipt', 'append is not exactly {size, frontier}');
  // 5. it extends `known`
  if (known) {
    const v = extendsVerdict(known, h, proofs.consistency);
    if (v) return no(v, v === 'bad_answer' ? 'the consistency proof does not parse (a broken answer, retried)' : v === 'stale' ? `the head of ${h.size} is smaller than the head of ${known.size} held and signed no later (settled by asking the server)` : `the head of ${h.size} does not extend the head of ${known.size} held`);
  }
  // 6. every hash listed was sent; every hash sent is listed exactly once
  const sentList = sent ?? listed.concat(r.refused.filter((e) => 'hash' in e).map((e) => e.hash));
  const sentSet = new Set(sentList);
  const named = [...listed];
  for (const e of r.refused) {
    if ('hash' in e) named.push(e.hash);
    else if (e.item < sentList.length) named.push(sentList[e.item]);
    else return no('bad_receipt', `refused item ${e.item} is beyond the batch`);
  }
  for (const x of named) if (!sentSet.has(x) || partitionOfHash(x) == null) return no('bad_receipt', `${x} is no record this laptop sent`);
  const counts = new Map();
  for (const x of named) counts.set(x, (counts.get(x) || 0) + 1);
  if (heldOnly && (r.stored.length || r.refused.length)) return no('bad_receipt', 'an answer to push/held lists records stored or refused');
  for (const x of sentSet) if ((counts.get(x) || 0) !== 1 && !(heldOnly && !counts.has(x))) return no('bad_receipt', `${x}, sent, is listed ${counts.get(x) || 0} times`);
  // 7. the stored entries' indices are a, a+1, …
  const a = proofs.append.size;
  if (!isInt(a) || a < 0 || !hexList(proofs.append.frontier)) return no('bad_receipt', 'append is not a size and a list of hashes');
  const leaves = [];
  for (const [i, s] of r.stored.entries()) {
    if (s.index !== a + i) return no('bad_receipt', `stored ${s.hash} is at ${s.index}, not ${a + i}`);
    leaves.push(entryLeafHash({ hash: s.hash, index: s.index, partition: partitionOfHash(s.hash), received: s.received }).toString('hex'));
  }
  // 8. they give the head's root (and a plus their number is the head's size)
  if (!appendHolds(h, a, proofs.append.frontier, leaves)) return no('bad_receipt', "the stored records are not the head's new leaves");
  // 9. each held one is included
  const heldHashes = r.held.map((e) => e.hash);
  if (!isObject(proofs.held) || Object.keys(proofs.held).sort().join() !== [...heldHashes].sort().join()) return no('bad_receipt', 'held proofs are not exactly one per held record');
  for (const e of r.held) {
    const leaf = entryLeafHash({ hash: e.hash, index: e.index, partition: partitionOfHash(e.hash), received: e.received });
    if (!hexList(proofs.held[e.hash]) || !verifyInclusion(e.index, h.size, leaf, proofs.held[e.hash], h.root)) return no('bad_receipt', `held ${e.hash} is not at ${e.index} in the head's tree`);
  }
  return no(null, null);
}

// ---------------------------------------------------------------- §10.5 pulls

// The ranges of names a laptop of jurisdiction J checks: "" , J cut to one, two and three
// groups, and, when J has fewer than three groups, every name from J + "." up to J + "/".
// A single name p is the half-open range [p, p + U+0000), which holds p alone; each name once
// (a J of one or two groups gives the same cut twice); taken in name order (they never overlap).
export function jurisdictionRanges(J) {
  const groups = J.split('.');
  const names = [''];
  for (let k = 1; k <= Math.min(3, groups.length); k++) {
    const n = groups.slice(0, k).join('.');
    if (!names.includes(n)) names.push(n);
  }
  const ranges = names.map((n) => [n, n + '\u0000']);
  if (groups.length < 3) ranges.push([J + '.', J + '/']);
  return ranges.sort((x, y) => compareCodePoints(x[0], y[0]) || compareCodePoints(x[1], y[1]));
}
const inRange = (name, [start, end]) => compareCodePoints(name, start) >= 0 && compareCodePoints(name, end) < 0;

// The last page's `partitions` checked against a valid head (payload): one list per range, in
// order; every leaf's proof against the head's `partitions` root and `partition_count`;
// positions consecutive, names strictly increasing; the first leaf before the range or at
// position 0, the last at or after the range's end or the tree's last leaf. Returns
// {ok: true, partitions: {name: {size, root}}} (the partitions of the ranges the log holds),
// or {ok: false, why} (evidence `withheld`).
// An empty list only when the partitions tree is empty; more leaves outside the range change
// nothing; each leaf exactly {partition, position, size, root, proof} (§10.5).
export function checkRanges(head, J, answer) {
  const ranges = jurisdictionRanges(J);
  const no = (why) => ({ ok: false, why });
  if (!Array.isArray(answer) || answer.length !== ranges.length) return no(`${Array.isArray(answer) ? answer.length : 'no'} lists for ${ranges.length} ranges`);
  const count = head.partition_count;
  const proven = {};
  for (const [i, list] of answer.entries()) {
    const range = ranges[i];
    const label = `range ${JSON.stringify(range)}`;
    if (!Array.isArray(list)) return no(`${label}: not a list`);
    if (count === 0) {
      if (list.length) return no(`${label}: leaves of an empty tree`);
      continue;
    }
    if (!list.length) return no(`${label}: no leaf shown`);
    let prev = null;
    for (const leaf of list) {
      if (!isObject(leaf) || Object.keys(leaf).sort().join(',') !== 'partition,position,proof,root,size') return no(`${label}: a leaf is not exactly {partition, position, size, root, proof}`);
      const { partition, position, size, root, proof } = leaf;
      if (typeof partition !== 'string' || !isInt(position) || !isInt(size) || size < 0 || typeof root !== 'string' || !HEX64.test(root) || !Array.isArray(proof) || !proof.every((x) => typeof x === 'string' && HEX64.test(x))) return no(`${label}: a leaf's members are not of their kinds`);
      if (!verifyInclusion(position, count, partitionLeafHash({ partition, root, size }), proof, head.partitions)) return no(`${label}: the proof of ${JSON.stringify(partition)} at ${position} fails`);
      if (prev && (position !== prev.position + 1 || compareCodePoints(prev.partition, partition) >= 0)) return no(`${label}: ${JSON.stringify(partition)} at ${position} does not follow ${JSON.stringify(prev.partition)} at ${prev.position}`);
      prev = leaf;
    }
    const first = list[0];
    const last = list[list.length - 1];
    if (!(compareCodePoints(first.partition, range[0]) < 0 || first.position === 0)) return no(`${label}: the first leaf shown is neither before the range nor the first`);
    if (!(compareCodePoints(last.partition, range[1]) >= 0 || last.position === count - 1)) return no(`${label}: the last leaf shown is neither after the range nor the last`);
    for (const leaf of list) if (inRange(leaf.partition, range)) proven[leaf.partition] = { size: leaf.size, root: leaf.root };
  }
  return { ok: true, partitions: proven };
}

// After the ranges hold: each partition proven, and each partition of the ranges the laptop
// learnt an entry of, rebuilt from the entries it learnt of below the head's size, in index
// order, must have the size and root proven; a partition the head leaves out must hold none.
// `learnt`: [{hash, index, partition, received, source?}] (source 'receipt' for an entry named
// by a receipt, whose partition is the one the laptop computes from its own record). Returns
// null or why (`withheld`; `misplaced` for a pulled entry outside the ranges or beyond the head).
// GAP 76: §10.5 "Entries outside the ranges or beyond the head's size are misplaced" is read,
// with §10.6 ("an entry outside the partitions asked for, or beyond the page's head"), for pulled
// entries only: an entry a receipt names outside the ranges (a record from another district,
// carried by a bundle) or beyond this head is not rebuilt and proves nothing against the server.
export function checkLearnt(head, J, proven, learnt) {
  const ranges = jurisdictionRanges(J);
  const byPartition = new Map();
  for (const e of [...learnt].sort((x, y) => x.index - y.index)) {
    const pulled = e.source !== 'receipt';
    const inRanges = ranges.some((r) => inRange(e.partition, r));
    if (pulled && e.index >= head.size) return `misplaced: entry ${e.index} is beyond the head's size ${head.size}`;
    if (pulled && !inRanges) return `misplaced: entry ${e.index} of ${JSON.stringify(e.partition)} is outside the ranges of ${J}`;
    if (!inRanges || e.index >= head.size) continue;
    if (!byPartition.has(e.partition)) byPartition.set(e.partition, []);
    byPartition.get(e.partition).push(entryLeafHash(e));
  }
  for (const [name] of byPartition) if (!(name in proven)) return `withheld: the head leaves out ${JSON.stringify(name)}, which holds entries`;
  for (const [name, { size, root }] of Object.entries(proven)) {
    const leaves = byPartition.get(name) || [];
    if (leaves.length !== size || treeRoot(leaves).toString('hex') !== root) return `withheld: ${JSON.stringify(name)} rebuilt from ${leaves.length} entries learnt does not give the size ${size} and root the head proves`;
  }
  return null;
}

// §9.5 a pull page against its head (payload) and the cursor it was asked from: entries in index
// order from `since`, none at or beyond the head's size (`misplaced`); `next` the index after the
// page's last entry, and on the last page (`more` false) the head's size (else a broken answer,
// `bad_answer`, retried). GAP 86, settled by §9.5: entries in increasing index order, none below
// `since`; a page before the last holds at least one entry and its `next` is exactly the index
// after its last; anything else is broken.
export function pageVerdict(page, head, since) {
  if (!isObject(page) || !Array.isArray(page.entries) || typeof page.more !== 'boolean' || !isInt(page.next)) return 'bad_answer';
  let prev = since - 1;
  for (const e of page.entries) {
    if (!isObject(e) || !isInt(e.index) || e.index <= prev) return 'bad_answer';
    if (e.index >= head.size) return 'misplaced';
    prev = e.index;
  }
  if (!page.more) return page.next === head.size ? null : 'bad_answer';
  if (!page.entries.length || page.next !== prev + 1) return 'bad_answer';
  return page.next >= since && page.next <= head.size ? null : 'bad_answer';
}

// §10.5 after the last page: the ranges' proofs (checkRanges), then the partitions rebuilt
// (checkLearnt). Returns null or the kind (withheld, misplaced). A failure is retried once (the
// laptop forgets those partitions' positions from where they were last checked, moves its
// cursor back and pulls again): `attempts` are the results of the first and second pulls, each
// {head, answer, learnt}; only a second failure is evidence.
export function afterLastPage(head, J, answer, learnt) {
  const r = checkRanges(head, J, answer);
  if (!r.ok) return 'withheld';
  const why = checkLearnt(head, J, r.partitions, learnt);
  return why === null ? null : why.split(':')[0];
}
export function pullVerdict(J, attempts) {
  let kind = null;
  for (const [i, a] of attempts.slice(0, 2).entries()) {
    kind = afterLastPage(a.head, J, a.answer, a.learnt);
    if (kind === null || kind === 'misplaced' || i === 1) return kind;
  }
  return kind === null ? null : 'retry';
}

// The frontier of a tree (the roots of its perfect subtrees, largest first), from its leaves.
export function frontierOf(leafHashes) {
  const out = [];
  let start = 0;
  let n = leafHashes.length;
  for (let b = 52; b >= 0; b--) {
    const s = 2 ** b;
    if (n >= s) {
      out.push(treeRoot(leafHashes.slice(start, start + s)).toString('hex'));
      start += s;
      n -= s;
    }
  }
  return out;
}

// §10.8 item 4: a head given to the auditor (`--head`, from a laptop's `recap log --json`) against
// the whole log's entries: the root of the first `size` entries must be its root, and the
// partitions tree of those entries its `partitions` and `partition_count` (else `forked`). A head
// larger than the log is read as `rolled_back` (the server once signed a longer log; GAP 103).
export function auditHead(entries, head) {
  if (head.size > entries.length) return 'rolled_back';
  const b = buildLog(entries.slice(0, head.size));
  return b.root === head.root && b.partitionsRoot === head.partitions && b.partitionCount === head.partition_count ? null : 'forked';
}
