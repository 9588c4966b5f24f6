// Records, admission rule and counting of PROTOCOL.md §3–§6, written from the document
// alone. Where the document still leaves a choice open, the choice is marked "GAP n" (the
// numbers refer to the list in README.md).

import { createHash } from 'node:crypto';
import { canonicalBytes, isObject, CanonicalError } from './canonical.mjs';
import { accepted, publicKeyProblem } from './ed25519.mjs';

export const PROTOCOL = 'recap/1';
const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
const TYPE_RE = /^[a-z][a-z_]{0,31}$/;
const TIME_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;
const ID_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/; // §4 an "id" (election, contest, choice, field)
export const REGION_RE = /^[0-9]{2}(\.[0-9]{2,4}){0,4}$/;
const MAX_VALUE = 10 ** 9;
const MAX_TOTAL = Number.MAX_SAFE_INTEGER; // §4 dhasil totals: 0 … 2^53−1
export const CHAINED = ['sheet', 'review', 'dhasil', 'objection', 'resolution', 'requirement']; // §3 Chains
const AUTHORITY_TYPES = ['election', 'certificate', 'revocations'];
// §4 certificate: `server` (§10.1) signs the server's receipts and tree heads, nothing else.
const ROLES = ['operator', 'supervisor', 'chair', 'witness', 'server']; // §4 certificate
// §5.4 item 2: the roles each chained type needs. An objection: `witness`, `chair` or
// `operator` when it names its `paper`, only `witness` when `paper` is null.
const ROLE_FOR = { sheet: ['operator'], review: ['supervisor'], dhasil: ['chair'], resolution: ['chair'], requirement: ['supervisor'] };
const rolesFor = (p) => (p.type === 'objection' ? (p.paper === null ? ['witness'] : ['witness', 'chair', 'operator']) : ROLE_FOR[p.type]);
// §5.4 item 3: the record's place.
export const placeOf = (p) => (p.type === 'dhasil' || p.type === 'requirement' ? p.region : p.type === 'objection' || p.type === 'resolution' ? p.place : p.station);
const CLOCK_SKEW_SECONDS = 10 * 60; // §5.3 item 9

export const SEVERITY = {
  malformed: 'error',
  bad_signature: 'error',
  unknown_signer: 'error',
  no_election: 'error',
  wrong_election: 'error',
  expired: 'error',
  unknown_station: 'error',
  unknown_contest: 'error',
  bad_values: 'error',
  breaks_rule: 'error',
  unacknowledged_warning: 'error',
  role: 'error',
  jurisdiction: 'error',
  certificate_expired: 'error',
  unknown_region: 'error',
  bad_children: 'error',
  bad_totals: 'error',
  not_closed: 'error',
  bad_ruling: 'error',
  revoked: 'attention',
  time_order: 'error',
  chain_gap: 'error',
  chain_prev: 'error',
  equivocation: 'error',
  dangling: 'error',
  self_review: 'error',
  missing_record: 'error',
  forked: 'attention',
  awaiting_certificate: 'notice',
  clock_skew: 'notice',
  review_conflict: 'attention',
  approvals_disagree: 'attention',
};

export const sha256hex = (bytes) => createHash('sha256').update(bytes).digest('hex');
export const keyIdOf = (pkHex) => sha256hex(Buffer.from(pkHex, 'hex'));

export function signingMessage(type, canonical) {
  return Buffer.concat([Buffer.from(`${PROTOCOL}\n${type}\n`, 'ascii'), canonical]);
}

// ---------------------------------------------------------------- small checks

export class Refusal extends Error {
  constructor(reason, detail) {
    super(`${reason}: ${detail}`);
    this.reason = reason;
    this.detail = detail;
  }
}
const refuse = (reason, detail) => {
  throw new Refusal(reason, detail);
};
const malformed = (detail) => refuse('malformed', detail);

// §3: UTC to the second, a real date of the proleptic Gregorian calendar, years 0001–9999,
// seconds 00–59. Returns seconds since the epoch, or null.
export function parseTime(s) {
  if (typeof s !== 'string' || !TIME_RE.test(s)) return null;
  const [y, mo, d, h, mi, se] = [s.slice(0, 4), s.slice(5, 7), s.slice(8, 10), s.slice(11, 13), s.slice(14, 16), s.slice(17, 19)].map(Number);
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return null;
  const dim = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  if (d > dim) return null;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, se, 0);
  return date.getTime() / 1000;
}

const isInt = (v) => typeof v === 'number' && Number.isSafeInteger(v); // never a boolean
const isText = (v) => typeof v === 'string' && v.length > 0; // §5.3 item 1: "texts non-empty"
// §4: non-blank = contains a character without the Unicode White_Space property
// (not String.prototype.trim, which differs on U+0085 and U+FEFF).
export const isNonBlank = (v) => typeof v === 'string' && /[^\p{White_Space}]/u.test(v);

function exactMembers(obj, required, optional = [], what = 'payload') {
  if (!isObject(obj)) malformed(`${what} is not an object`);
  for (const k of required) if (!(k in obj)) malformed(`${what} lacks ${k}`);
  const allowed = new Set([...required, ...optional]);
  for (const k of Object.keys(obj)) if (!allowed.has(k)) malformed(`${what} has an unknown member ${k}`);
}
const needTime = (v, what) => {
  if (parseTime(v) === null) malformed(`${what} is not a time of §3: ${JSON.stringify(v)}`);
};
const needText = (v, what) => {
  if (!isText(v)) malformed(`${what} is not a non-empty text`);
};
const needString = (v, what) => {
  if (typeof v !== 'string') malformed(`${what} is not a text`);
};
const needNonBlank = (v, what) => {
  if (!isNonBlank(v)) malformed(`${what} is not a non-blank text`);
};
const needHash = (v, what) => {
  if (typeof v !== 'string' || !HEX64.test(v)) malformed(`${what} is not 64 lowercase hex`);
};
const needId = (v, what) => {
  if (typeof v !== 'string' || !ID_RE.test(v)) malformed(`${what} is not an id: ${JSON.stringify(v)}`);
};
// §4: a text pair is an object of texts (possibly empty strings) with at least `id` and `en`;
// other languages may be added. GAP 42: a language key's form is not given (any ASCII key
// §1 allows is accepted).
const needTextPair = (v, what) => {
  if (!isObject(v)) malformed(`${what} is not an object`);
  for (const k of ['id', 'en']) if (!(k in v)) malformed(`${what} lacks ${k}`);
  for (const [k, t] of Object.entries(v)) needString(t, `${what}.${k}`);
};
const needList = (v, what) => {
  if (!Array.isArray(v)) malformed(`${what} is not a list`);
};
const needRole = (v) => {
  if (!ROLES.includes(v)) malformed(`role is not one of ${ROLES.join(', ')}`);
};
// §4 dhasil lists: "ascending by code (compared by code point)". JavaScript's < compares
// UTF-16 code units, which differs above U+FFFF; compare code points.
export function compareCodePoints(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d) return d < 0 ? -1 : 1;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}
// A list of exact objects, strictly ascending by `key` (so no key twice).
function needAscendingObjects(list, members, key, what, checkItem) {
  needList(list, what);
  let last = null;
  for (const item of list) {
    exactMembers(item, members, [], `${what} entry`);
    checkItem(item);
    if (last !== null && compareCodePoints(last, item[key]) >= 0) malformed(`${what} is not ascending by ${key} without repeats`);
    last = item[key];
  }
}
const needCorrection = (p, what) => {
  if (p.supersedes !== null) {
    needHash(p.supersedes, 'supersedes');
    needNonBlank(p.reason, `reason of ${what}`);
  } else if (p.reason !== null) malformed('reason is set without supersedes');
};

// ---------------------------------------------------------------- §3 envelope

// Step 0 of §5: parses an envelope (a JSON value already read under §1). Returns
// {payload, signer, sig, hash, type, canonical}; throws Refusal('malformed').
export function parseEnvelope(rec) {
  exactMembers(rec, ['payload', 'signer', 'sig', 'hash'], [], 'envelope');
  if (!isObject(rec.payload)) malformed('payload is not an object');
  if (typeof rec.signer !== 'string' || !HEX64.test(rec.signer)) malformed('signer is not 64 lowercase hex');
  if (typeof rec.sig !== 'string' || !HEX128.test(rec.sig)) malformed('sig is not 128 lowercase hex');
  if (typeof rec.hash !== 'string' || !HEX64.test(rec.hash)) malformed('hash is not 64 lowercase hex');
  const type = rec.payload.type;
  if (typeof type !== 'string' || !TYPE_RE.test(type)) malformed('payload.type does not match ^[a-z][a-z_]{0,31}$');
  let canonical;
  try {
    canonical = canonicalBytes(rec.payload);
  } catch (e) {
    if (e instanceof CanonicalError) malformed(`payload is not canonical JSON: ${e.message}`);
    throw e;
  }
  const hash = sha256hex(canonical);
  if (hash !== rec.hash) malformed('hash is not SHA-256 of the canonical payload');
  // "the chain members of a chained type as §3 says"
  if (CHAINED.includes(type)) checkChained(rec.payload, rec.signer);
  return { payload: rec.payload, signer: rec.signer, sig: Buffer.from(rec.sig, 'hex'), hash, type, canonical };
}

export function signatureAccepted(env, publicKeyHex) {
  return accepted(Buffer.from(publicKeyHex, 'hex'), env.sig, signingMessage(env.type, env.canonical));
}

// ---------------------------------------------------------------- §4 record types

const CHAIN_MEMBERS = ['type', 'signer', 'seq', 'prev', 'time', 'election'];

function checkChained(p, envSigner) {
  for (const k of CHAIN_MEMBERS) if (!(k in p)) malformed(`payload lacks ${k}`);
  needHash(p.signer, 'signer');
  if (p.signer !== envSigner) malformed("payload.signer is not the envelope's signer");
  if (!isInt(p.seq) || p.seq < 1) malformed('seq is not an integer >= 1');
  if (p.seq === 1 && p.prev !== null) malformed('prev is not null at seq 1');
  if (p.seq > 1) needHash(p.prev, 'prev');
  needTime(p.time, 'time');
  needText(p.election, 'election');
}

export function checkSheet(p, envSigner) {
  exactMembers(p, [...CHAIN_MEMBERS, 'station', 'contest', 'values', 'warnings', 'supersedes', 'reason'], ['warnings_reason', 'double_entry', 'photos']);
  if (p.type !== 'sheet') malformed('type');
  checkChained(p, envSigner);
  needText(p.station, 'station');
  needText(p.contest, 'contest');
  // its members are checked by §5.3 item 7 (bad_values)
  if (!isObject(p.values)) malformed('values is not an object');
  needList(p.warnings, 'warnings');
  // "list of texts": §5.3 item 1 asks non-empty texts only of election, station, contest.
  for (const w of p.warnings) needString(w, 'a warning');
  needCorrection(p, 'a correction');
  // optional: `warnings_reason` a non-blank text; `double_entry` exactly {second}, second null or
  // a key id (64 lowercase hex). GAP 92: whether `second` may be the signer's own key id (the
  // signer typed it both times is said to be null) is not said: accepted.
  if ('warnings_reason' in p) needNonBlank(p.warnings_reason, 'warnings_reason');
  if ('photos' in p) checkPhotos(p.photos);
  if ('double_entry' in p) {
    exactMembers(p.double_entry, ['second'], [], 'double_entry');
    if (p.double_entry.second !== null) needHash(p.double_entry.second, 'double_entry.second');
  }
}

// §4 sheet `photos` (optional): a list of at most 12 objects, each exactly {bytes, sha256, type}:
// `sha256` 64 lowercase hex, `bytes` an integer 1 … 10,485,760 (not a boolean), `type`
// "image/jpeg" or "image/png"; in ascending order of `sha256`, none twice. GAP 100: an empty
// list is not said to be refused ("Absent: no photo"): read as allowed (at most 12). "Ascending"
// is read as by code points (the same as byte order for lowercase hex).
export const MAX_PHOTOS = 12;
export const MAX_PHOTO_BYTES = 10485760;
function checkPhotos(photos) {
  needList(photos, 'photos');
  if (photos.length > MAX_PHOTOS) malformed(`more than ${MAX_PHOTOS} photos`);
  let prev = null;
  for (const ph of photos) {
    exactMembers(ph, ['bytes', 'sha256', 'type'], [], 'photo');
    needHash(ph.sha256, 'photo sha256');
    if (!isInt(ph.bytes) || ph.bytes < 1 || ph.bytes > MAX_PHOTO_BYTES) malformed('photo bytes is not an integer 1 … 10,485,760');
    if (ph.type !== 'image/jpeg' && ph.type !== 'image/png') malformed('photo type is not image/jpeg or image/png');
    if (prev !== null && !(prev < ph.sha256)) malformed('photos are not in ascending order of sha256, or one is there twice');
    prev = ph.sha256;
  }
}

// §4 requirement: exactly the chain members, `region` (a non-empty text; whether it is a code of
// the package is §5.3 item 6) and `double_entry` (a boolean).
export function checkRequirement(p, envSigner) {
  exactMembers(p, [...CHAIN_MEMBERS, 'region', 'double_entry']);
  if (p.type !== 'requirement') malformed('type');
  checkChained(p, envSigner);
  needText(p.region, 'region');
  if (typeof p.double_entry !== 'boolean') malformed('double_entry is not a boolean');
}

export function checkReview(p, envSigner) {
  exactMembers(p, [...CHAIN_MEMBERS, 'station', 'contest', 'sheet', 'decision', 'reason'], ['overrides']);
  if (p.type !== 'review') malformed('type');
  checkChained(p, envSigner);
  needText(p.station, 'station');
  needText(p.contest, 'contest');
  needHash(p.sheet, 'sheet');
  if (p.decision !== 'approve' && p.decision !== 'reject') malformed('decision');
  if (p.decision === 'reject') needNonBlank(p.reason, 'reason of a rejection');
  // an approval's reason: "null or any text" (§4), the empty string included
  else if (p.reason !== null) needString(p.reason, 'reason');
  if ('overrides' in p) {
    needList(p.overrides, 'overrides');
    for (const h of p.overrides) needHash(h, 'an override');
    if (new Set(p.overrides).size !== p.overrides.length) malformed('overrides names a hash twice');
  }
}

// §4 dhasil. Item 1 of §5.3 checks the shape only: the totals' members (bad_values), which
// children are named (bad_children) and whether a final one is closed (not_closed) are items 6–7.
export function checkDhasil(p, envSigner) {
  exactMembers(p, [...CHAIN_MEMBERS, 'region', 'contest', 'basis', 'totals', 'children', 'pending', 'objections', 'final', 'supersedes', 'reason']);
  if (p.type !== 'dhasil') malformed('type');
  checkChained(p, envSigner);
  needText(p.region, 'region');
  needText(p.contest, 'contest');
  if (p.basis !== 'sheets' && p.basis !== 'recaps') malformed('basis is not sheets or recaps');
  if (!isObject(p.totals)) malformed('totals is not an object');
  needAscendingObjects(p.children, ['code', 'record'], 'code', 'children', (c) => {
    needText(c.code, 'a child code');
    needHash(c.record, 'a child record');
  });
  needAscendingObjects(p.pending, ['code', 'state'], 'code', 'pending', (c) => {
    needText(c.code, 'a pending code');
    needNonBlank(c.state, 'a pending state');
  });
  needAscendingObjects(p.objections, ['objection', 'resolution'], 'objection', 'objections', (o) => {
    needHash(o.objection, 'an objection');
    if (o.resolution !== null) needHash(o.resolution, 'a resolution');
  });
  if (typeof p.final !== 'boolean') malformed('final is not a boolean');
  needCorrection(p, 'a new version');
}

export function checkObjection(p, envSigner) {
  exactMembers(p, [...CHAIN_MEMBERS, 'place', 'contest', 'kind', 'witness', 'paper', 'subject']);
  if (p.type !== 'objection') malformed('type');
  checkChained(p, envSigner);
  needText(p.place, 'place');
  needText(p.contest, 'contest');
  if (p.kind !== 'objection' && p.kind !== 'incident') malformed('kind is not objection or incident');
  if (p.witness === null) {
    if (p.kind !== 'incident') malformed('an objection names its witness');
  } else {
    exactMembers(p.witness, ['name', 'represents'], [], 'witness');
    needNonBlank(p.witness.name, 'witness name');
    needNonBlank(p.witness.represents, 'witness represents');
  }
  if (p.paper !== null) needNonBlank(p.paper, 'paper');
  needNonBlank(p.subject, 'subject');
}

export function checkResolution(p, envSigner) {
  exactMembers(p, [...CHAIN_MEMBERS, 'objection', 'place', 'contest', 'decision', 'reason', 'overrides']);
  if (p.type !== 'resolution') malformed('type');
  checkChained(p, envSigner);
  needHash(p.objection, 'objection');
  needText(p.place, 'place');
  needText(p.contest, 'contest');
  // the pairing of `decision` with the objection's `kind` is §5.5 item 6 (bad_ruling), not shape
  if (!['accepted', 'rejected', 'noted'].includes(p.decision)) malformed('decision is not accepted, rejected or noted');
  needNonBlank(p.reason, 'reason');
  // `overrides`: required (unlike a review's), a list of hashes, possibly empty, no hash twice
  needList(p.overrides, 'overrides');
  for (const h of p.overrides) needHash(h, 'an override');
  if (new Set(p.overrides).size !== p.overrides.length) malformed('overrides names a hash twice');
}

// §5.3 item 1 for any chained type.
export function checkOfficer(p, envSigner) {
  const check = { sheet: checkSheet, review: checkReview, dhasil: checkDhasil, objection: checkObjection, resolution: checkResolution, requirement: checkRequirement }[p.type];
  if (!check) malformed(`type ${p.type} is not an officer record`);
  check(p, envSigner);
}

function checkPublicKey(p) {
  needHash(p.public_key, 'public_key');
  needHash(p.key_id, 'key_id');
  const problem = publicKeyProblem(Buffer.from(p.public_key, 'hex'));
  if (problem) malformed(problem);
  if (keyIdOf(p.public_key) !== p.key_id) malformed("key_id is not the key's id");
}

export function checkCertificate(p) {
  exactMembers(p, ['type', 'election', 'officer_id', 'name', 'role', 'jurisdiction', 'public_key', 'key_id', 'valid_from', 'valid_until', 'issued']);
  if (p.type !== 'certificate') malformed('type');
  // GAP 43: a certificate's or revocation list's `election` is a "text" (§4), not said to be
  // non-empty nor an id: any string; one that is not the package's id is wrong_election.
  needString(p.election, 'election');
  needNonBlank(p.officer_id, 'officer_id');
  needNonBlank(p.name, 'name');
  needRole(p.role);
  // §4: "region code; exactly "" for "server" (and only for it)".
  if (p.role === 'server') {
    if (p.jurisdiction !== '') malformed('a server certificate\'s jurisdiction is not ""');
  } else if (typeof p.jurisdiction !== 'string' || !REGION_RE.test(p.jurisdiction)) malformed('jurisdiction is not a region code');
  needTime(p.valid_from, 'valid_from');
  needTime(p.valid_until, 'valid_until');
  needTime(p.issued, 'issued');
  if (parseTime(p.valid_until) < parseTime(p.valid_from)) malformed('valid_until is before valid_from');
  checkPublicKey(p);
}

export function checkRevocations(p) {
  exactMembers(p, ['type', 'election', 'version', 'issued', 'revoked']);
  if (p.type !== 'revocations') malformed('type');
  needString(p.election, 'election'); // GAP 43
  if (!isInt(p.version) || p.version < 1) malformed('version is not an integer >= 1');
  needTime(p.issued, 'issued');
  needList(p.revoked, 'revoked');
  for (const e of p.revoked) {
    exactMembers(e, ['key_id', 'reason', 'time'], [], 'revoked entry');
    needHash(e.key_id, 'revoked key_id');
    needString(e.reason, 'revoked reason'); // "any text"
    needTime(e.time, 'revoked time');
  }
}

// Not admitted at a door (§5 step 2: malformed there); checked for the envelope vectors and §10.4.
// GAP 47: §4 names a receipt's members but not all their kinds: read as `server` a key id,
// `index` an integer >= 0, `received` a time, `item` an integer >= 0, `reason` a non-empty text
// (§9.4's answers give a problem name of §5.6; the receipt's `reason` is not said to be one).
// `head` is "the hash of the tree head": 64 lowercase hex.
export function checkReceipt(p) {
  exactMembers(p, ['type', 'server', 'time', 'election', 'head', 'stored', 'held', 'refused']);
  if (p.type !== 'receipt') malformed('type');
  needHash(p.server, 'server');
  needHash(p.head, 'head');
  needTime(p.time, 'time');
  needText(p.election, 'election');
  for (const list of ['stored', 'held']) {
    needList(p[list], list);
    for (const e of p[list]) {
      exactMembers(e, ['hash', 'index', 'received'], [], `${list} entry`);
      needHash(e.hash, `${list} hash`);
      if (!isInt(e.index) || e.index < 0) malformed(`${list} index`);
      needTime(e.received, `${list} received`);
    }
  }
  needList(p.refused, 'refused');
  for (const e of p.refused) {
    if (isObject(e) && 'hash' in e) {
      exactMembers(e, ['hash', 'reason'], [], 'refused entry');
      needHash(e.hash, 'refused hash');
    } else {
      exactMembers(e, ['item', 'reason'], [], 'refused entry');
      if (!isInt(e.item) || e.item < 0) malformed('refused item');
    }
    needText(e.reason, 'refused reason');
  }
}

// §10.2 tree head: exactly type, election, server (key id, the envelope's signer), size
// (integer >= 0), root and partitions (hex: read as 64 lowercase hex, SHA-256 roots),
// partition_count (integer >= 0), time. `election` is a "text" (read: non-empty; one that is
// not the holder's is bad_head anyway). "Nothing more is checked of a head by itself" (§10.2):
// not that a size-0 head's root is SHA-256(""), nor partition_count against size.
export function checkTreeHead(p, envSigner) {
  exactMembers(p, ['type', 'election', 'server', 'size', 'root', 'partitions', 'partition_count', 'time']);
  if (p.type !== 'tree_head') malformed('type');
  needText(p.election, 'election');
  needHash(p.server, 'server');
  if (envSigner !== undefined && p.server !== envSigner) malformed('server is not the envelope\'s signer');
  if (!isInt(p.size) || p.size < 0) malformed('size is not an integer >= 0');
  needHash(p.root, 'root');
  needHash(p.partitions, 'partitions');
  if (!isInt(p.partition_count) || p.partition_count < 0) malformed('partition_count is not an integer >= 0');
  needTime(p.time, 'time');
}

// GAP 47: §4 gives a certificate request's `name` and `officer_id` as "texts, as the officer
// gave them" and `public_key` as 64 lowercase hex: read as a certificate's (non-blank texts, a
// key passing §2 items 3-4, `key_id` its id). GAP 77 (contradiction): §4 gives `role` as "one of
// the four roles of a certificate: operator, supervisor, chair, witness", but §10.1 has the
// server write a certificate_request "of §4 ... role \"server\"": the five roles are accepted.
export function checkCertificateRequest(p) {
  exactMembers(p, ['type', 'name', 'officer_id', 'role', 'public_key', 'key_id']);
  if (p.type !== 'certificate_request') malformed('type');
  needNonBlank(p.name, 'name');
  needNonBlank(p.officer_id, 'officer_id');
  needRole(p.role);
  checkPublicKey(p);
}

// §4: a term is a field id (a string), or an object with exactly one of `field`, `const`,
// `station` and optionally `times` (default 1); `k` and `n` integers of any sign; `station`
// is "registered"; a field must be a field of the form.
function checkTerm(t, fieldIds, what) {
  if (typeof t === 'string') {
    if (!fieldIds.has(t)) malformed(`${what}: unknown field ${t}`);
    return;
  }
  if (!isObject(t)) malformed(`${what}: a term is neither a field id nor an object`);
  const kinds = ['field', 'const', 'station'].filter((k) => k in t);
  if (kinds.length !== 1) malformed(`${what}: a term must have exactly one of field, const, station`);
  exactMembers(t, kinds, ['times'], `${what}: term`);
  if (kinds[0] === 'field' && (typeof t.field !== 'string' || !fieldIds.has(t.field))) malformed(`${what}: unknown field ${t.field}`);
  if (kinds[0] === 'const' && !isInt(t.const)) malformed(`${what}: const is not an integer`);
  if (kinds[0] === 'station' && t.station !== 'registered') malformed(`${what}: station term other than registered`);
  if ('times' in t && !isInt(t.times)) malformed(`${what}: times is not an integer`);
}

// §4 election, the form's warning bounds: exactly {turnout, invalid_share, all_zero, village},
// each null (off) or its shape; every `field`/`of` a field of the form, every number an integer
// (not a boolean) in its range. GAP 93 (settled, §4): `all_zero` is true or false only (false
// off; null is malformed); an invalid_share's `field` may equal its `of`.
function checkWarningBounds(w, fieldIds, what) {
  exactMembers(w, ['turnout', 'invalid_share', 'all_zero', 'village'], [], `${what} warnings`);
  const field = (v, name) => {
    if (typeof v !== 'string' || !fieldIds.has(v)) malformed(`${what} warnings: ${name} is not a field of the form`);
  };
  const int = (v, lo, hi, name) => {
    if (!isInt(v) || v < lo || v > hi) malformed(`${what} warnings: ${name} is not an integer ${lo} … ${hi}`);
  };
  if (w.turnout !== null) {
    exactMembers(w.turnout, ['field', 'max_percent'], [], `${what} turnout`);
    field(w.turnout.field, 'turnout.field');
    int(w.turnout.max_percent, 0, 1000, 'turnout.max_percent');
  }
  if (w.invalid_share !== null) {
    exactMembers(w.invalid_share, ['field', 'of', 'max_percent'], [], `${what} invalid_share`);
    field(w.invalid_share.field, 'invalid_share.field');
    field(w.invalid_share.of, 'invalid_share.of');
    int(w.invalid_share.max_percent, 0, 1000, 'invalid_share.max_percent');
  }
  if (typeof w.all_zero !== 'boolean') malformed(`${what} warnings: all_zero is not true or false`);
  if (w.village !== null) {
    exactMembers(w.village, ['field', 'k', 'floor_permille', 'min_stations'], [], `${what} village`);
    field(w.village.field, 'village.field');
    int(w.village.k, 1, 100, 'village.k');
    int(w.village.floor_permille, 0, 1000, 'village.floor_permille');
    int(w.village.min_stations, 1, 1000, 'village.min_stations');
  }
}

// §4: a form without `warnings` is read with the defaults (a bound whose fields are not on the
// form is null).
export function warningBoundsOf(form) {
  if ('warnings' in form) return form.warnings;
  const ids = new Set(form.sections.flatMap((s) => s.fields.map((f) => f.id)));
  return {
    turnout: ids.has('voted_total') ? { field: 'voted_total', max_percent: 100 } : null,
    invalid_share: ids.has('invalid') && ids.has('total') ? { field: 'invalid', of: 'total', max_percent: 10 } : null,
    all_zero: true,
    village: ids.has('voted_total') ? { field: 'voted_total', k: 6, floor_permille: 200, min_stations: 4 } : null,
  };
}

// §5.3 item 7: the bounds other than `village` that a sheet's values fire (integers only).
export function boundsFired(bounds, values, registered) {
  const fired = [];
  const R = BigInt(registered);
  const v = (f) => BigInt(values[f]);
  if (bounds.turnout && 100n * v(bounds.turnout.field) > BigInt(bounds.turnout.max_percent) * R) fired.push('bound:turnout');
  if (bounds.invalid_share && 100n * v(bounds.invalid_share.field) > BigInt(bounds.invalid_share.max_percent) * v(bounds.invalid_share.of)) fired.push('bound:invalid_share');
  if (bounds.all_zero === true && R > 0n && Object.values(values).every((x) => x === 0)) fired.push('bound:all_zero');
  return fired;
}

// §4 election package: the top level and every nested object have exactly the members
// listed (optional ones marked); a text pair is the one open object (other languages).
export function checkElection(p) {
  exactMembers(p, ['type', 'election', 'version', 'name', 'issued', 'expires', 'contests', 'regions', 'stations'], ['demo']);
  if (p.type !== 'election') malformed('type');
  needId(p.election, 'election id');
  if (!isInt(p.version) || p.version < 1) malformed('version is not an integer >= 1');
  needTextPair(p.name, 'name');
  needTime(p.issued, 'issued');
  needTime(p.expires, 'expires');
  if (!(parseTime(p.expires) > parseTime(p.issued))) malformed('expires is not after issued');
  if ('demo' in p && typeof p.demo !== 'boolean') malformed('demo is not a boolean');
  needList(p.contests, 'contests');
  const contestIds = new Set();
  for (const c of p.contests) {
    exactMembers(c, ['id', 'name', 'kind', 'choices', 'form'], [], 'contest');
    needId(c.id, 'contest id');
    if (contestIds.has(c.id)) malformed(`contest ${c.id} twice`);
    contestIds.add(c.id);
    needTextPair(c.name, `contest ${c.id} name`);
    if (c.kind !== 'candidates' && c.kind !== 'parties') malformed('contest kind');
    needList(c.choices, 'choices');
    if (!c.choices.length) malformed(`contest ${c.id} has no choice`);
    const choiceIds = new Set();
    for (const ch of c.choices) {
      exactMembers(ch, ['id', 'number', 'name'], ['candidates'], 'choice');
      needId(ch.id, 'choice id');
      if (choiceIds.has(ch.id)) malformed(`choice ${ch.id} twice in contest ${c.id}`);
      choiceIds.add(ch.id);
      if (!isInt(ch.number) || ch.number < 1) malformed('choice number is not an integer >= 1');
      needNonBlank(ch.name, 'choice name');
      // `candidates`: optional, "a list, default empty" (so null is refused).
      if ('candidates' in ch) {
        needList(ch.candidates, 'candidates');
        // GAP 13: candidate ids (and choice or candidate numbers) are not said to be unique:
        // repeats are accepted.
        for (const cand of ch.candidates) {
          exactMembers(cand, ['id', 'number', 'name'], [], 'candidate');
          needId(cand.id, 'candidate id');
          if (!isInt(cand.number) || cand.number < 1) malformed('candidate number is not an integer >= 1');
          needNonBlank(cand.name, 'candidate name');
        }
      }
    }
    exactMembers(c.form, ['sections', 'rules'], ['warnings'], 'form');
    needList(c.form.sections, 'sections');
    const fieldIds = new Set();
    for (const s of c.form.sections) {
      exactMembers(s, ['id', 'label', 'fields'], [], 'section');
      needId(s.id, 'section id');
      // GAP 13: section ids are not said to be unique (repeats accepted); a section's `label`
      // is read as a text pair, like a field's (the parenthesis "`label` a text pair" follows
      // the fields).
      needTextPair(s.label, 'section label');
      needList(s.fields, 'fields');
      for (const f of s.fields) {
        exactMembers(f, ['id', 'label'], [], 'field');
        needId(f.id, 'field id');
        if (fieldIds.has(f.id)) malformed(`field ${f.id} twice`);
        fieldIds.add(f.id);
        needTextPair(f.label, 'field label');
      }
    }
    if (!fieldIds.size) malformed(`contest ${c.id}: the form has no field`);
    needList(c.form.rules, 'rules');
    const ruleIds = new Set();
    for (const r of c.form.rules) {
      exactMembers(r, ['id', 'severity', 'left', 'op', 'right', 'message'], [], 'rule');
      needId(r.id, 'rule id');
      if (ruleIds.has(r.id)) malformed(`rule ${r.id} twice`);
      ruleIds.add(r.id);
      if (r.severity !== 'error' && r.severity !== 'warning') malformed('rule severity');
      if (!['eq', 'le', 'lt', 'ge', 'gt'].includes(r.op)) malformed('rule op');
      needList(r.left, 'rule left');
      needList(r.right, 'rule right');
      for (const t of [...r.left, ...r.right]) checkTerm(t, fieldIds, `rule ${r.id}`);
      needTextPair(r.message, 'rule message');
    }
    if ('warnings' in c.form) checkWarningBounds(c.form.warnings, fieldIds, `contest ${c.id}`);
  }
  needList(p.regions, 'regions');
  const regions = new Map();
  for (const r of p.regions) {
    exactMembers(r, ['code', 'name', 'level', 'parent'], [], 'region');
    if (typeof r.code !== 'string' || !REGION_RE.test(r.code)) malformed('region code');
    if (regions.has(r.code)) malformed(`region ${r.code} twice`);
    needNonBlank(r.name, 'region name');
    if (!['province', 'regency', 'district', 'village'].includes(r.level)) malformed('region level');
    if (r.parent !== null) {
      if (typeof r.parent !== 'string' || !regions.has(r.parent)) malformed(`region ${r.code}: parent not listed before it`);
      if (!r.code.startsWith(r.parent + '.')) malformed(`region ${r.code} is not inside its parent`);
    }
    regions.set(r.code, r);
  }
  needList(p.stations, 'stations');
  const stations = new Set();
  for (const s of p.stations) {
    exactMembers(s, ['code', 'region', 'name', 'registered', 'contests'], [], 'station');
    if (typeof s.code !== 'string' || !REGION_RE.test(s.code)) malformed('station code');
    if (stations.has(s.code)) malformed(`station ${s.code} twice`);
    stations.add(s.code);
    const village = typeof s.region === 'string' ? regions.get(s.region) : undefined;
    if (!village || village.level !== 'village') malformed(`station ${s.code}: region is not a village`);
    if (!s.code.startsWith(s.region + '.')) malformed(`station ${s.code} is not inside its village`);
    needNonBlank(s.name, 'station name');
    if (!isInt(s.registered) || s.registered < 0) malformed('registered is not an integer >= 0');
    needList(s.contests, 'station contests');
    for (const id of s.contests) if (typeof id !== 'string' || !contestIds.has(id)) malformed(`station ${s.code}: unknown contest ${id}`);
    if (new Set(s.contests).size !== s.contests.length) malformed(`station ${s.code}: a contest twice`);
  }
}

// Index of a package in force.
function indexPackage(p) {
  const contests = new Map();
  for (const c of p.contests) {
    const fields = [];
    for (const s of c.form.sections) for (const f of s.fields) fields.push(f.id);
    contests.set(c.id, { contest: c, fields });
  }
  return { payload: p, id: p.election, version: p.version, contests, stations: new Map(p.stations.map((s) => [s.code, s])), regions: new Map(p.regions.map((r) => [r.code, r])) };
}

const inside = (region, code) => code.startsWith(region + '.'); // strictly inside

// §4 objection: a place "holds" a contest when it is a station that holds it, or a region
// with a station inside it that holds it.
function placeHoldsContest(E, place, contest) {
  const station = E.stations.get(place);
  if (station) return station.contests.includes(contest);
  for (const s of E.stations.values()) if (inside(place, s.code) && s.contests.includes(contest)) return true;
  return false;
}

// §4 dhasil: the children a region must name for a basis.
export function regionChildren(E, region, contest, basis) {
  if (basis === 'sheets') return [...E.stations.values()].filter((s) => inside(region, s.code) && s.contests.includes(contest)).map((s) => s.code);
  return [...E.regions.values()].filter((r) => r.parent === region && placeHoldsContest(E, r.code, contest)).map((r) => r.code);
}

function termValue(t, values, registered) {
  if (typeof t === 'string') return BigInt(values[t]);
  const times = BigInt('times' in t ? t.times : 1);
  if ('field' in t) return BigInt(values[t.field]) * times;
  if ('const' in t) return BigInt(t.const) * times;
  return BigInt(registered) * times;
}

export function ruleHolds(rule, values, registered) {
  const sum = (terms) => terms.reduce((a, t) => a + termValue(t, values, registered), 0n);
  const l = sum(rule.left);
  const r = sum(rule.right);
  return { eq: l === r, le: l <= r, lt: l < r, ge: l >= r, gt: l > r }[rule.op];
}

// ---------------------------------------------------------------- §5 the holder

export const contains = (region, code) => code === region || code.startsWith(region + '.');
const DOOR_REFUSES = new Set(['role', 'jurisdiction', 'certificate_expired', 'revoked']); // §5.3 item 8
const REPLAY_ERRORS = new Set(['role', 'jurisdiction', 'certificate_expired']);

export class Holder {
  constructor({ authorityKey, ownKey = null }) {
    this.authorityKey = authorityKey; // hex public key
    this.authorityId = keyIdOf(authorityKey);
    this.ownKey = ownKey;
    this.ownId = ownKey ? keyIdOf(ownKey) : null;
    this.records = new Map(); // hash -> entry {env, seen, position, refusal?}
    this.order = [];
    this.packages = new Map(); // version -> entry
    this.E = null; // indexed package in force
    this.certs = new Map(); // key id -> [certificate payload]
    this.revLists = new Map(); // version -> entry
    this.chains = new Map(); // signer -> Map(seq -> entry)
    this.forks = []; // fork evidence: [envA, envB], same signer and seq, both signatures accepted
  }

  _add(entry) {
    this.records.set(entry.env.hash, entry);
    this.order.push(entry.env.hash);
  }

  // §5.2: the revoked keys are those the list in force (highest version) names.
  revokedKeys() {
    if (!this.revLists.size) return new Set();
    const top = this.revLists.get(Math.max(...this.revLists.keys()));
    return new Set(top.env.payload.revoked.map((e) => e.key_id));
  }

  // §5.4 item 5: the lowest known position of an admitted list naming the key; a list not
  // met in the log is beyond every position (Infinity).
  revocationPosition(keyId) {
    let best = Infinity;
    for (const e of this.revLists.values()) {
      if (e.position == null) continue;
      if (e.env.payload.revoked.some((r) => r.key_id === keyId)) best = Math.min(best, e.position);
    }
    return best;
  }

  forkSeq(keyId) {
    let n = Infinity;
    for (const [a] of this.forks) if (a.signer === keyId) n = Math.min(n, a.payload.seq);
    return n;
  }

  head(signer) {
    const chain = this.chains.get(signer);
    if (!chain || !chain.size) return null;
    return chain.get(Math.max(...chain.keys()));
  }

  // §5.3 item 3: the key is known from any certificate of it, or it is the holder's own key.
  publicKeyOf(keyId) {
    const certs = this.certs.get(keyId);
    if (certs && certs.length) return certs[0].public_key;
    if (keyId === this.ownId) return this.ownKey;
    return null;
  }

  // §5.4: null when the record may count, else the standing's name.
  standing(entry) {
    const p = entry.env.payload;
    const certs = this.certs.get(p.signer) || [];
    if (!certs.length) return 'awaiting_certificate';
    const roles = rolesFor(p);
    const withRole = certs.filter((c) => roles.includes(c.role));
    if (!withRole.length) return 'role';
    // one certificate must fit all of 2 to 4 at once; a dhasil's region must be the
    // jurisdiction itself
    const place = placeOf(p);
    const inRegion = withRole.filter((c) => (p.type === 'dhasil' ? c.jurisdiction === place : contains(c.jurisdiction, place)));
    if (!inRegion.length) return 'jurisdiction';
    const t = parseTime(p.time);
    const seen = parseTime(entry.seen);
    const covering = inRegion.filter((c) => parseTime(c.valid_from) <= t && t <= parseTime(c.valid_until) && seen <= parseTime(c.valid_until));
    if (!covering.length) return 'certificate_expired';
    if (this.revokedKeys().has(p.signer)) {
      const proven = entry.position != null && this.revocationPosition(p.signer) > entry.position;
      if (!proven) return 'revoked';
    }
    if (p.seq >= this.forkSeq(p.signer)) return 'forked';
    return null;
  }

  // Fork evidence kept beside the set (§5.5, §7 `forks`). Returns null when kept, else why not.
  // §5.7: "both records parse, one signer, one seq, two hashes, both signatures accepted under
  // a key the trust knows". GAP 35: "parse" is read as §5 step 0 and §5.3 item 1 (a sheet or
  // review with exact members); "a key the trust knows" as §5.3 item 3 (a certificate of the
  // key admitted, or the holder's own key). Evidence that fails is not kept.
  addForkEvidence(pair) {
    if (!Array.isArray(pair) || pair.length !== 2) return 'not a pair';
    let a, b;
    try {
      a = parseEnvelope(pair[0]);
      b = parseEnvelope(pair[1]);
    } catch (e) {
      if (e instanceof Refusal) return e.message;
      throw e;
    }
    if (!CHAINED.includes(a.type) || !CHAINED.includes(b.type)) return 'not chained records';
    try {
      for (const r of [a, b]) checkOfficer(r.payload, r.signer);
    } catch (e) {
      if (e instanceof Refusal) return e.message;
      throw e;
    }
    if (a.signer !== b.signer || a.payload.seq !== b.payload.seq || a.hash === b.hash) return 'not two records at one place';
    const pk = this.publicKeyOf(a.signer);
    if (!pk || !signatureAccepted(a, pk) || !signatureAccepted(b, pk)) return 'a signature is not accepted';
    this.forks.push([a, b]);
    return null;
  }

  // The admission rule (§5) for one record offered. Returns
  // {status: 'admitted'|'held'|'refused', reason, detail, hash, findings: [name...]}.
  // reason is the refusal's problem name (null unless refused: §5 "admitted, held, or refused
  // with a problem name"); findings lists every finding of the record, notices included.
  // With replay: true (§5.7) every record of the set gets §5.3's findings and then §5.5's: a
  // record with a finding still takes its place in its signer's chain (a malformed one the
  // place its signer and seq name, when readable), and `revoked` is a finding of severity
  // attention instead of a refusal.
  offer(record, { seen, position = null }, { replay = false } = {}) {
    let env;
    try {
      env = parseEnvelope(record);
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      const hash = isObject(record) && typeof record.hash === 'string' ? record.hash : null;
      if (replay) this._placeMalformed(record, hash, seen, position);
      return { status: 'refused', reason: e.reason, detail: e.detail, hash, findings: [e.reason] };
    }
    const entry = { env, seen, position, verified: false, refusal: null, findings: [] };
    // §5 step 1: held (no signature check: the held record keeps its own signature). In a
    // replay it never applies (a set holds each hash once); were a hash met twice, the second
    // would be held here.
    if (this.records.has(env.hash)) return { status: 'held', reason: null, hash: env.hash, findings: [] };
    try {
      if (AUTHORITY_TYPES.includes(env.type)) return this._authority(entry);
      if (CHAINED.includes(env.type)) return this._officer(entry, replay);
      malformed(`type ${env.type} does not enter a holder's set`); // §5 step 2
    } catch (e) {
      if (e instanceof Refusal) return { status: 'refused', reason: e.reason, detail: e.detail, hash: env.hash, findings: [e.reason] };
      throw e;
    }
  }

  // §5.7: "A malformed record takes the place its signer and seq name when those can be read
  // ..., and no place otherwise; §5.5 is not checked for it." GAP 45: read as: the signer is
  // the envelope's `signer` (else the payload's) when it is 64 lowercase hex, the seq the
  // payload's when an integer >= 1; its identity is the envelope's `hash` member as given
  // (what a next record's `prev` would name); a place already taken stays with the record
  // that holds it (no equivocation: §5.5 is not checked). It is kept in the set (counting
  // for nothing, under `malformed`), and grouped with its station and contest when its
  // payload names them as texts and calls itself a sheet or review.
  _placeMalformed(record, hash, seen, position) {
    if (!isObject(record)) return;
    const p = isObject(record.payload) ? record.payload : null;
    const signer = typeof record.signer === 'string' && HEX64.test(record.signer) ? record.signer : p && typeof p.signer === 'string' && HEX64.test(p.signer) ? p.signer : null;
    const seq = p && isInt(p.seq) && p.seq >= 1 ? p.seq : null;
    const type = p && CHAINED.includes(p.type) ? p.type : null;
    if (hash === null || this.records.has(hash)) return;
    const entry = { env: { hash, signer, type, payload: p || {} }, seen, position, malformed: true, verified: false, refusal: 'malformed', findings: ['malformed'] };
    if (signer && seq !== null) {
      const chain = this.chains.get(signer);
      if (!chain || !chain.has(seq)) {
        if (!this.chains.has(signer)) this.chains.set(signer, new Map());
        this.chains.get(signer).set(seq, entry);
      }
    }
    this._add(entry);
  }

  _authority(entry) {
    const { env } = entry;
    const p = env.payload;
    if (env.signer !== this.authorityId || !signatureAccepted(env, this.authorityKey)) refuse('bad_signature', 'not signed by the authority key');
    if (env.type === 'election') {
      checkElection(p);
      if (this.E && p.election !== this.E.id) refuse('wrong_election', `package of ${p.election}, in force ${this.E.id}`);
      const same = this.packages.get(p.version);
      if (same && same.env.hash !== env.hash) refuse('equivocation', `another package at version ${p.version}`);
      if (!this.E || p.version > this.E.version) {
        if (parseTime(p.expires) <= parseTime(entry.seen)) refuse('expired', `expired ${p.expires}, arrived ${entry.seen}`);
        this.E = indexPackage(p);
      }
      this.packages.set(p.version, entry);
    } else if (env.type === 'certificate') {
      checkCertificate(p);
      if (!this.E) refuse('no_election', 'no package in force');
      if (p.election !== this.E.id) refuse('wrong_election', `certificate of ${p.election}`);
      if (!this.certs.has(p.key_id)) this.certs.set(p.key_id, []);
      this.certs.get(p.key_id).push(p);
    } else {
      checkRevocations(p);
      if (!this.E) refuse('no_election', 'no package in force');
      if (p.election !== this.E.id) refuse('wrong_election', `revocations of ${p.election}`);
      const same = this.revLists.get(p.version);
      if (same && same.env.hash !== env.hash) refuse('equivocation', `another list at version ${p.version}`);
      this.revLists.set(p.version, entry);
    }
    this._add(entry);
    return { status: 'admitted', reason: null, hash: env.hash, findings: [] };
  }

  // §5.3 items 2–9 for an officer record that passed item 1. Returns {refusal, notices,
  // verified}: refusal is the first finding that refuses it (at a door; in a replay
  // `revoked` is an attention finding and the checks go on), notices the other findings.
  _check(entry, replay) {
    const { env } = entry;
    const p = env.payload;
    const notices = [];
    let verified = false; // the signature was accepted (items 3 and 4)
    try {
      // 2
      if (env.signer === this.authorityId) refuse('role', 'the authority key signs no officer record');
      // 3
      const pk = this.publicKeyOf(env.signer);
      if (!pk) refuse('unknown_signer', 'no certificate gives the key');
      // 4
      if (!signatureAccepted(env, pk)) refuse('bad_signature', 'signature not accepted');
      verified = true;
      // 5
      if (!this.E) refuse('no_election', 'no package in force');
      if (p.election !== this.E.id) refuse('wrong_election', `record of ${p.election}`);
      // 6
      let station = null;
      if (env.type === 'sheet' || env.type === 'review') {
        station = this.E.stations.get(p.station);
        if (!station) refuse('unknown_station', p.station);
        if (!station.contests.includes(p.contest)) refuse('unknown_contest', p.contest);
      } else if (env.type === 'dhasil') {
        const region = this.E.regions.get(p.region);
        if (!region || !['district', 'regency', 'province'].includes(region.level)) refuse('unknown_region', `${p.region} signs no D.Hasil`);
        if (!placeHoldsContest(this.E, p.region, p.contest)) refuse('unknown_contest', p.contest);
      } else if (env.type === 'requirement') {
        if (!this.E.stations.has(p.region) && !this.E.regions.has(p.region)) refuse('unknown_region', `${p.region} is no station or region`);
      } else {
        if (!this.E.stations.has(p.place) && !this.E.regions.has(p.place)) refuse('unknown_region', `${p.place} is no station or region`);
        if (!placeHoldsContest(this.E, p.place, p.contest)) refuse('unknown_contest', p.contest);
      }
      // 7
      if (env.type === 'dhasil') {
        const { fields } = this.E.contests.get(p.contest);
        const keys = Object.keys(p.totals);
        const ok = keys.length === fields.length && fields.every((f) => keys.includes(f)) && keys.every((k) => isInt(p.totals[k]) && p.totals[k] >= 0 && p.totals[k] <= MAX_TOTAL);
        if (!ok) refuse('bad_values', 'totals are not exactly the form fields as counts');
        const level = this.E.regions.get(p.region).level;
        if (level === 'district' && p.basis !== 'sheets') refuse('bad_children', 'a district rests only on sheets');
        const must = new Set(regionChildren(this.E, p.region, p.contest, p.basis));
        const named = [...p.children.map((c) => c.code), ...p.pending.map((c) => c.code)];
        if (named.length !== must.size || new Set(named).size !== named.length || !named.every((c) => must.has(c))) refuse('bad_children', "children and pending are not exactly the region's children");
        if (p.final && (p.pending.length || p.objections.some((o) => o.resolution === null))) refuse('not_closed', 'final with a child pending or an objection not ruled on');
      }
      if (env.type === 'sheet') {
        const { contest, fields } = this.E.contests.get(p.contest);
        const keys = Object.keys(p.values);
        const ok = keys.length === fields.length && fields.every((f) => keys.includes(f)) && keys.every((k) => isInt(p.values[k]) && p.values[k] >= 0 && p.values[k] <= MAX_VALUE);
        if (!ok) refuse('bad_values', 'values are not exactly the form fields as counts');
        for (const rule of contest.form.rules) {
          if (rule.severity === 'error' && !ruleHolds(rule, p.values, station.registered)) refuse('breaks_rule', rule.id);
        }
        const fired = boundsFired(warningBoundsOf(contest.form), p.values, station.registered);
        const unlisted = fired.filter((b) => !p.warnings.includes(b));
        if (unlisted.length) refuse('unacknowledged_warning', `${unlisted.join(', ')} fired and not listed`);
        if (fired.length && !('warnings_reason' in p)) refuse('unacknowledged_warning', `${fired.join(', ')} fired without a warnings_reason`);
      }
      // 8
      const st = this.standing(entry);
      if (st && (replay ? REPLAY_ERRORS : DOOR_REFUSES).has(st)) refuse(st, 'standing');
      if (st) notices.push(st);
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      // §5.3: "The steps stop at the first error (items 1 to 8)", at a door and in a replay
      // alike: item 9 (clock_skew) is then not looked at.
      return { refusal: e, notices, verified };
    }
    // 9 (never refuses)
    if (parseTime(p.time) > parseTime(entry.seen) + CLOCK_SKEW_SECONDS) notices.push('clock_skew');
    return { refusal: null, notices, verified };
  }

  // §5.5 items 2–5: the first failure, or null.
  _placeProblem(env) {
    const p = env.payload;
    const head = this.head(p.signer);
    const last = head ? head.env.payload.seq : 0;
    if (p.seq !== last + 1) return new Refusal('chain_gap', `seq ${p.seq} after ${last}`);
    if (head && p.prev !== head.env.hash) return new Refusal('chain_prev', 'prev is not the previous record');
    if (head && parseTime(p.time) < parseTime(head.env.payload.time)) return new Refusal('time_order', 'time goes back');
    const held = (h, type) => {
      const e = this.records.get(h);
      return e && e.env.type === type && e.env.payload.station === p.station && e.env.payload.contest === p.contest ? e : null;
    };
    if (env.type === 'sheet' && p.supersedes !== null) {
      const s = held(p.supersedes, 'sheet');
      if (!s || s.env.signer !== env.signer) return new Refusal('dangling', 'supersedes names no held sheet of the same signer, station and contest');
    }
    if (env.type === 'review') {
      if (!held(p.sheet, 'sheet')) return new Refusal('dangling', 'sheet');
      for (const h of p.overrides || []) if (!held(h, 'review')) return new Refusal('dangling', 'overrides');
      if (this.records.get(p.sheet).env.signer === env.signer) return new Refusal('self_review', 'a review of its own signer\'s sheet');
    }
    const get = (h, type) => {
      const e = this.records.get(h);
      return e && e.env.type === type && isObject(e.env.payload) ? e : null;
    };
    // 6, in its order: the objection, each override in the order listed, then the decision
    if (env.type === 'resolution') {
      const o = get(p.objection, 'objection');
      if (!o || o.env.payload.place !== p.place || o.env.payload.contest !== p.contest) return new Refusal('dangling', 'objection names no held objection of the same place and contest');
      for (const h of p.overrides) {
        const r = get(h, 'resolution');
        if (!r || r.env.payload.objection !== p.objection) return new Refusal('dangling', `overrides ${h}: no held ruling on the same objection`);
      }
      const fits = { objection: ['accepted', 'rejected'], incident: ['noted'] }[o.env.payload.kind] || [];
      if (!fits.includes(p.decision)) return new Refusal('bad_ruling', `${p.decision} does not fit an objection of kind ${o.env.payload.kind}`);
    }
    // 7
    if (env.type === 'dhasil') return this._dhasilProblem(env, get);
    return null;
  }

  // §5.5 item 7, in its order (7.1 supersedes, 7.2 the children one at a time, each checked
  // whole before the next, 7.3 the objections one at a time, 7.4 the totals).
  _dhasilProblem(env, get) {
    const p = env.payload;
    if (p.supersedes !== null) {
      const s = get(p.supersedes, 'dhasil');
      if (!s || s.env.signer !== env.signer || s.env.payload.region !== p.region || s.env.payload.contest !== p.contest) return new Refusal('dangling', 'supersedes names no held dhasil of the same signer, region and contest');
    }
    const childType = p.basis === 'sheets' ? 'sheet' : 'dhasil';
    const records = [];
    for (const c of p.children) {
      const e = get(c.record, childType);
      const q = e && e.env.payload;
      if (!e || (childType === 'sheet' ? q.station : q.region) !== c.code || q.contest !== p.contest) return new Refusal('dangling', `child ${c.code}: no held ${childType} of that place and contest`);
      if (childType === 'dhasil' && q.final !== true) return new Refusal('bad_children', `child ${q.region} is not final`);
      records.push(q);
    }
    for (const o of p.objections) {
      const ob = get(o.objection, 'objection');
      if (!ob || ob.env.payload.contest !== p.contest || typeof ob.env.payload.place !== 'string' || !contains(p.region, ob.env.payload.place)) return new Refusal('dangling', 'objections names no held objection of the contest inside the region');
      if (o.resolution !== null) {
        const r = get(o.resolution, 'resolution');
        if (!r || r.env.payload.objection !== o.objection) return new Refusal('dangling', 'a resolution named is not a held ruling on that objection');
      }
    }
    // 7.4 totals, field by field over the fields of `totals`: the sum of the children's numbers
    // (a field a child lacks counts 0, fields `totals` lacks are not summed); a child holding
    // anything but an integer (a boolean included) for a field of `totals` has no sum: bad_totals.
    for (const [field, total] of Object.entries(p.totals)) {
      let sum = 0n;
      for (const q of records) {
        const numbers = childType === 'sheet' ? q.values : q.totals;
        const v = isObject(numbers) && field in numbers ? numbers[field] : 0;
        if (!isInt(v)) return new Refusal('bad_totals', `child number of ${field} is not an integer`);
        sum += BigInt(v);
      }
      if (!isInt(total) || sum !== BigInt(total)) return new Refusal('bad_totals', `${field}: ${total} is not the sum ${sum}`);
    }
    return null;
  }

  _officer(entry, replay) {
    const { env } = entry;
    const p = env.payload;
    // 1
    try {
      checkOfficer(p, env.signer);
    } catch (e) {
      if (!(e instanceof Refusal) || !replay) throw e;
      // in a replay a malformed record still takes the place its signer and seq name (§5.7)
      this._placeMalformed({ signer: env.signer, payload: p }, env.hash, entry.seen, entry.position);
      return { status: 'refused', reason: e.reason, detail: e.detail, hash: env.hash, findings: [e.reason] };
    }
    const { refusal, notices, verified } = this._check(entry, replay);
    entry.verified = verified;
    if (refusal && !replay) throw refusal;
    const findings = [...(refusal ? [refusal.reason] : []), ...notices];
    entry.findings = findings;
    entry.refusal = refusal ? refusal.reason : null;
    entry.reachedStanding = !refusal; // §5.3 went through item 8 (no error from items 1 to 8)
    const result = () => {
      const err = findings.find((f) => SEVERITY[f] === 'error');
      if (err) return { status: 'refused', reason: err, hash: env.hash, findings };
      return { status: 'admitted', reason: null, hash: env.hash, findings };
    };
    // §5.5 1: equivocation. The held record stays; the offered one is refused (no place).
    const other = (this.chains.get(p.signer) || new Map()).get(p.seq);
    if (other && other.env.hash !== env.hash) {
      // Fork evidence is only ever made of records whose signatures are accepted (§5.7).
      if (verified && other.verified) this.forks.push([other.env, env]);
      if (!replay) refuse('equivocation', `another record at seq ${p.seq}`);
      findings.push('equivocation');
      entry.refusal = entry.refusal || 'equivocation';
      // In a replay the record is in the set (it counts for nothing), but takes no place.
      this._add(entry);
      return result();
    }
    const place = this._placeProblem(env);
    if (place && !replay) throw place;
    if (place) {
      findings.push(place.reason);
      entry.refusal = entry.refusal || place.reason;
    }
    // In a replay a record with a finding still takes its place (§5.7).
    this._place(entry);
    entry.placed = true;
    return result();
  }

  _place(entry) {
    const p = entry.env.payload;
    if (!this.chains.has(p.signer)) this.chains.set(p.signer, new Map());
    this.chains.get(p.signer).set(p.seq, entry);
    this._add(entry);
  }

  officerEntries() {
    return this.order.map((h) => this.records.get(h)).filter((e) => CHAINED.includes(e.env.type));
  }
}

// ---------------------------------------------------------------- §5.7 replay

// items: [{record, seen, position}] in arrival order; forks: pairs of records the holder
// keeps. Returns {holder, findings: [[hash, name]...], evidence: [{pair, holds, why}]}.
export function replay(items, { authorityKey, ownKey = null, forks = [] }) {
  const holder = new Holder({ authorityKey, ownKey });
  const reports = []; // [hash, findings array] in order
  const isAuthority = (it) => isObject(it.record) && isObject(it.record.payload) && AUTHORITY_TYPES.includes(it.record.payload.type);
  const inSet = new Set(items.map((it) => (isObject(it.record) ? it.record.hash : null)).filter((h) => typeof h === 'string'));
  const run = (it) => {
    const res = holder.offer(it.record, it, { replay: true });
    const entry = res.hash !== null ? holder.records.get(res.hash) : null;
    // officer entries keep their findings array (a fork met later may add to it)
    reports.push([res.hash, entry && entry.findings && entry.findings === res.findings ? entry.findings : res.findings]);
  };
  // first the authority records, each as it arrived (one with a finding does not enter the trust)
  items.filter(isAuthority).forEach(run);
  // the fork evidence the holder keeps, checked against the trust so built: the replay uses it
  const evidence = forks.map((pair) => ({ pair, why: holder.addForkEvidence(pair) }));
  items.filter((x) => !isAuthority(x)).forEach(run);
  // GAP 44: a fork found inside the replay (two records of the set at one place) makes
  // records of the signer at seq >= n `forked` (§5.5 item 1: "the held one included"), also
  // those replayed before it: such a record, if §5.3 reached its item 8 with no standing
  // finding, gets `forked` there (before its clock_skew and §5.5 findings).
  for (const e of holder.officerEntries()) {
    if (e.malformed || !e.placed || !e.reachedStanding) continue;
    if (holder.standing(e) === 'forked' && !e.findings.some((f) => ['revoked', 'awaiting_certificate', 'forked'].includes(f))) {
      e.findings.unshift('forked');
    }
  }
  const findings = [];
  for (const [hash, names] of reports) for (const name of names) findings.push([hash, name]);
  // §5.7: kept fork evidence, after the replay's findings: `equivocation` naming the record of
  // the pair not in the set when it holds, `malformed` when it does not (and it is not used).
  // GAP 46: when neither record of a pair that holds is in the set, both are named (in the
  // pair's order); a pair that does not hold is named by its first record not in the set
  // (else its first record), by that record's `hash` member.
  for (const { pair, why } of evidence) {
    const hashes = (Array.isArray(pair) ? pair : []).map((r) => (isObject(r) && typeof r.hash === 'string' ? r.hash : null));
    const outside = hashes.filter((h) => h !== null && !inSet.has(h));
    if (why === null) for (const h of outside) findings.push([h, 'equivocation']);
    else findings.push([outside[0] ?? hashes[0] ?? null, 'malformed']);
  }
  return { holder, findings, evidence };
}

// ---------------------------------------------------------------- §6 which sheets count

const sameValues = (a, b) => {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
};

// State of one station and contest from its held sheets and reviews (entries).
export function contestState(holder, entries) {
  const attention = new Set();
  const counts = [];
  for (const e of entries) {
    // 1. set aside: standing (§5.4) not "may count", under its name; a record with a finding
    // of severity error (a replay, §5.7) under that finding's name. GAP 27: a record with
    // both is listed once, under its standing's name (the vectors'
    // certificate_before_its_package: unknown_signer sheets listed as awaiting_certificate);
    // a malformed record has no standing: under `malformed`.
    const st = e.malformed ? 'malformed' : holder.standing(e) || e.refusal || null;
    if (st) attention.add(st);
    else counts.push(e);
  }
  const done = (state, counted = []) => ({ state, counted: counted.map((e) => e.env.hash).sort(), attention: [...attention].sort() });
  // No sheet held: not_entered, whatever reviews are held. GAP 32: the attention list still
  // names what step 1 set aside (reviews that may not count).
  if (!entries.some((e) => e.env.type === 'sheet')) return done('not_entered');
  const sheets = counts.filter((e) => e.env.type === 'sheet');
  const reviews = counts.filter((e) => e.env.type === 'review');
  // sheets held but none may count: uncounted, whatever 2 to 6 would say
  if (!sheets.length) return done('uncounted');
  // 2. latest version of each signer: a sheet no other (counting) sheet of the signer supersedes
  const bySigner = new Map();
  for (const s of sheets) {
    if (!bySigner.has(s.env.signer)) bySigner.set(s.env.signer, []);
    bySigner.get(s.env.signer).push(s);
  }
  const latest = [];
  for (const own of bySigner.values()) {
    const left = own.filter((s) => !own.some((o) => o !== s && o.env.payload.supersedes === s.env.hash));
    left.sort((a, b) => b.env.payload.seq - a.env.payload.seq);
    if (left.length) latest.push(left[0]);
  }
  // 3. reviews in force: only reviews that may count; what any of them overrides stays
  // overridden (also the overrides of a review of a sheet that is not a latest version).
  const overridden = new Set(reviews.flatMap((r) => r.env.payload.overrides || []));
  const inForce = reviews.filter(
    (r) =>
      !overridden.has(r.env.hash) &&
      !reviews.some((o) => o.env.signer === r.env.signer && o.env.payload.sheet === r.env.payload.sheet && o.env.payload.seq > r.env.payload.seq),
  );
  const decision = (sheet) => {
    const ds = new Set(inForce.filter((r) => r.env.payload.sheet === sheet.env.hash).map((r) => r.env.payload.decision));
    if (ds.size === 0) return null;
    if (ds.size === 1) return [...ds][0];
    return 'conflict';
  };
  const decided = latest.map((s) => [s, decision(s)]);
  // 4.
  if (decided.some(([, d]) => d === 'conflict')) {
    attention.add('review_conflict');
    return done('disputed');
  }
  // 5.
  const approved = decided.filter(([, d]) => d === 'approve').map(([s]) => s);
  if (approved.length) {
    if (approved.every((s) => sameValues(s.env.payload.values, approved[0].env.payload.values))) return done('approved', approved);
    attention.add('approvals_disagree');
    return done('disputed');
  }
  // 6.
  const rest = decided.filter(([, d]) => d !== 'reject').map(([s]) => s);
  if (!rest.length) return done('rejected');
  if (rest.every((s) => sameValues(s.env.payload.values, rest[0].env.payload.values))) {
    return done(rest.some((s) => s.env.payload.supersedes !== null) ? 'corrected' : 'signed', rest);
  }
  return done('disputed');
}

// States of every station and contest for which the holder has a sheet or review.
export function allStates(holder) {
  const groups = new Map();
  for (const e of holder.officerEntries()) {
    if (e.env.type !== 'sheet' && e.env.type !== 'review') continue; // §6: from its sheets and reviews alone
    if (typeof e.env.payload.station !== 'string' || typeof e.env.payload.contest !== 'string') continue; // a malformed record naming none
    const key = `${e.env.payload.station}\u0000${e.env.payload.contest}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(e);
  }
  const out = [];
  for (const [key, entries] of groups) {
    const [station, contest] = key.split('\u0000');
    out.push({ station, contest, ...contestState(holder, entries) });
  }
  out.sort((a, b) => (a.station < b.station ? -1 : a.station > b.station ? 1 : a.contest < b.contest ? -1 : a.contest > b.contest ? 1 : 0));
  return out;
}

export const COUNTING_STATES = new Set(['signed', 'corrected', 'approved']);

// Totals of a region for one contest: field by field, the values that count for each station
// inside the region (one counted sheet per station), and the number of those stations. Only
// fields of counted sheets appear (none counted: {}).
export function totals(holder, states, region, contest) {
  const sums = {};
  let counted = 0;
  for (const s of states) {
    if (s.contest !== contest || !contains(region, s.station) || !COUNTING_STATES.has(s.state)) continue;
    counted++;
    const values = holder.records.get(s.counted[0]).env.payload.values;
    for (const [k, v] of Object.entries(values)) sums[k] = (sums[k] || 0) + v;
  }
  return { region, contest, counted, sums };
}

const URGENCY = ['disputed', 'uncounted', 'rejected', 'partial', 'not_entered', 'corrected', 'signed', 'approved'];
// §6 summary state of one station from the states of every contest the package gives it
// (not_entered for those with nothing held); not covered by the vectors. `partial` when some
// of them are not_entered and others not, ranked between rejected and not_entered.
export function stationSummary(contestStates) {
  const states = contestStates.map((s) => s.state);
  const entered = states.filter((s) => s !== 'not_entered');
  if (entered.length && entered.length < states.length) {
    const worse = URGENCY.slice(0, URGENCY.indexOf('partial')).find((u) => states.includes(u));
    return worse || 'partial';
  }
  return URGENCY.find((u) => states.includes(u)) || 'not_entered';
}

// ---------------------------------------------------------------- §6.1 D.Hasil and objections

// §6.1 item 1 (D.Hasil and objections alike): the name a record is set aside under, or null when
// it may count. A standing that is not "may count" is listed under its name; else a finding of
// severity error (a replay) under that finding's name (GAP 27, as in §6: a record with both is
// listed once, under its standing's name; a malformed record has no standing: `malformed`).
export const setAsideName = (holder, e) => (e.malformed ? 'malformed' : holder.standing(e) || e.refusal || null);
const byCodePoints = (a, b) => compareCodePoints(a, b);

// The D.Hasil of one region and contest (§6.1 "D.Hasil", items 1 to 3). Returns {region, contest,
// state, final, in_force, attention}: state not_entered | uncounted | signed | corrected |
// disputed; final true/false as the D.Hasil in force say, null when none is in force.
export function dhasilState(holder, region, contest) {
  const entries = holder.officerEntries().filter((e) => e.env.type === 'dhasil' && e.env.payload.region === region && e.env.payload.contest === contest);
  const attention = new Set();
  const counts = [];
  for (const e of entries) {
    const name = setAsideName(holder, e);
    if (name) attention.add(name); // 1: set aside, supersedes nothing
    else counts.push(e);
  }
  const done = (state, inForce = []) => ({ region, contest, state, final: inForce.length ? inForce[0].env.payload.final : null, in_force: inForce.map((e) => e.env.hash).sort(), attention: [...attention].sort() });
  if (!entries.length) return done('not_entered');
  if (!counts.length) return done('uncounted');
  // 2: each signer's latest version (no other D.Hasil of the signer supersedes it; if two remain,
  // the higher seq)
  const bySigner = new Map();
  for (const e of counts) {
    if (!bySigner.has(e.env.signer)) bySigner.set(e.env.signer, []);
    bySigner.get(e.env.signer).push(e);
  }
  const latest = [];
  for (const own of bySigner.values()) {
    const left = own.filter((d) => !own.some((o) => o !== d && o.env.payload.supersedes === d.env.hash));
    left.sort((a, b) => b.env.payload.seq - a.env.payload.seq);
    if (left.length) latest.push(left[0]);
  }
  // 3: the same totals (every field, the same integer) and the same `final`: all in force
  const first = latest[0].env.payload;
  if (latest.every((d) => sameValues(d.env.payload.totals, first.totals) && d.env.payload.final === first.final)) {
    return done(latest.some((d) => d.env.payload.supersedes !== null) ? 'corrected' : 'signed', latest);
  }
  return done('disputed');
}

// One objection (§6.1 "Objections", items 1 to 3). Returns {objection, state, decision, rulings,
// attention}: state set_aside | open | ruled | disputed; decision the rulings' in force when
// ruled, else null; rulings the rulings in force (sorted).
// GAP 73: for an objection set aside, its rulings are still looked at for the attention list
// ("beside the objection's own name"), but none is reported in force and the decision is null.
// GAP 74: "its signer has a later ruling on the same objection" is read among the considered
// rulings (those that may count), as §6 item 3 reads reviews.
export function objectionState(holder, hash) {
  const o = holder.records.get(hash);
  if (!o || o.env.type !== 'objection') return null;
  const attention = new Set();
  const own = setAsideName(holder, o);
  if (own) attention.add(own);
  const rulings = holder.officerEntries().filter((e) => e.env.type === 'resolution' && e.env.payload.objection === hash);
  const considered = [];
  for (const r of rulings) {
    const name = setAsideName(holder, r);
    if (name) attention.add(name);
    else considered.push(r);
  }
  const done = (state, inForce = [], decision = null) => ({ objection: hash, state, decision, rulings: inForce.map((e) => e.env.hash).sort(), attention: [...attention].sort() });
  if (own) return done('set_aside');
  const overridden = new Set(considered.flatMap((r) => r.env.payload.overrides));
  const inForce = considered.filter((r) => !overridden.has(r.env.hash) && !considered.some((x) => x.env.signer === r.env.signer && x.env.payload.seq > r.env.payload.seq));
  if (!inForce.length) return done('open');
  const decisions = new Set(inForce.map((r) => r.env.payload.decision));
  if (decisions.size === 1) return done('ruled', inForce, [...decisions][0]);
  return done('disputed', inForce);
}

// Every objection held, by hash (§8: "for every objection").
export function allObjections(holder) {
  return holder.officerEntries().filter((e) => e.env.type === 'objection').map((e) => e.env.hash).sort(byCodePoints).map((h) => objectionState(holder, h));
}

// §6.1 "Outdated": one D.Hasil in force, judged on its own basis against what the holder counts
// now (`states`: the §6 states of every station and contest).
export function dhasilOutdated(holder, states, hash) {
  const e = holder.records.get(hash);
  const p = e.env.payload;
  // the records a child counts by
  const countsBy = (code) => {
    if (p.basis === 'sheets') {
      const s = states.find((x) => x.station === code && x.contest === p.contest);
      return s && COUNTING_STATES.has(s.state) ? s.counted : [];
    }
    const d = dhasilState(holder, code, p.contest);
    return d.final === true ? d.in_force : [];
  };
  for (const c of p.children) if (!countsBy(c.code).includes(c.record)) return true;
  for (const c of p.pending) if (countsBy(c.code).length) return true;
  // the objections it names are exactly those of its contest, at its region or inside it, not set aside
  const must = holder.officerEntries().filter((o) => o.env.type === 'objection' && o.env.payload.contest === p.contest && typeof o.env.payload.place === 'string' && contains(p.region, o.env.payload.place) && !setAsideName(holder, o));
  const named = new Map(p.objections.map((o) => [o.objection, o.resolution]));
  if (must.length !== named.size || !must.every((o) => named.has(o.env.hash))) return true;
  for (const o of must) {
    const st = objectionState(holder, o.env.hash);
    const r = named.get(o.env.hash);
    if (st.state === 'open' && r !== null) return true;
    if (st.state === 'ruled' && !st.rulings.includes(r)) return true;
    if (st.state === 'disputed') return true;
  }
  return false;
}

// For every region and contest with a D.Hasil held (§8): its state, whether the D.Hasil in force
// are final, those in force, which of them are outdated, and the attention list.
export function allRecaps(holder, states) {
  const keys = new Map();
  for (const e of holder.officerEntries()) {
    if (e.env.type !== 'dhasil' || typeof e.env.payload.region !== 'string' || typeof e.env.payload.contest !== 'string') continue;
    keys.set(`${e.env.payload.region}\u0000${e.env.payload.contest}`, [e.env.payload.region, e.env.payload.contest]);
  }
  const out = [...keys.values()].map(([region, contest]) => {
    const d = dhasilState(holder, region, contest);
    return { region, contest, state: d.state, final: d.final, in_force: d.in_force, outdated: d.in_force.filter((h) => dhasilOutdated(holder, states, h)), attention: d.attention };
  });
  return out.sort((a, b) => byCodePoints(a.region, b.region) || byCodePoints(a.contest, b.contest));
}

// ---------------------------------------------------------------- §6.3 double entry required

// A requirement that may count (standing none of the findings; in a replay, no error finding
// either, as for every record, §5.7) is in force unless the same signer has a requirement (that
// may count, GAP 94) for the same `region` with a higher `seq`. Returns the requirements in force.
export function requirementsInForce(holder) {
  const mayCount = holder.officerEntries().filter((e) => e.env.type === 'requirement' && !e.malformed && !e.refusal && !holder.standing(e));
  return mayCount.filter((r) => !mayCount.some((o) => o.env.signer === r.env.signer && o.env.payload.region === r.env.payload.region && o.env.payload.seq > r.env.payload.seq));
}

// Double entry is required at a station when a requirement in force with `double_entry` true has
// a region containing it. Returns the regions that require it (sorted), [] when none.
export function doubleEntryRequiredAt(holder, station) {
  return [...new Set(requirementsInForce(holder).filter((r) => r.env.payload.double_entry === true && contains(r.env.payload.region, station)).map((r) => r.env.payload.region))].sort(compareCodePoints);
}
