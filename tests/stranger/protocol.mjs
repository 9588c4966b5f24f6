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
const REGION_RE = /^[0-9]{2}(\.[0-9]{2,4}){0,4}$/;
const MAX_VALUE = 10 ** 9;
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
  role: 'error',
  jurisdiction: 'error',
  certificate_expired: 'error',
  revoked: 'attention',
  time_order: 'error',
  chain_gap: 'error',
  chain_prev: 'error',
  equivocation: 'error',
  dangling: 'error',
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
// §4 election: "within the nested objects ... the members listed are read and any others are ignored".
function listedMembers(obj, required, what) {
  if (!isObject(obj)) malformed(`${what} is not an object`);
  for (const k of required) if (!(k in obj)) malformed(`${what} lacks ${k}`);
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
// §4: a text pair {"id": text, "en": text}; other languages may be added (not read).
const needTextPair = (v, what) => {
  listedMembers(v, ['id', 'en'], what);
  needString(v.id, `${what}.id`);
  needString(v.en, `${what}.en`);
};
const needList = (v, what) => {
  if (!Array.isArray(v)) malformed(`${what} is not a list`);
};
const needRole = (v) => {
  if (v !== 'operator' && v !== 'supervisor') malformed('role is not operator or supervisor');
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
  if (type === 'sheet' || type === 'review') checkChained(rec.payload, rec.signer);
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
  exactMembers(p, [...CHAIN_MEMBERS, 'station', 'contest', 'values', 'warnings', 'supersedes', 'reason']);
  if (p.type !== 'sheet') malformed('type');
  checkChained(p, envSigner);
  needText(p.station, 'station');
  needText(p.contest, 'contest');
  // its members are checked by §5.3 item 7 (bad_values)
  if (!isObject(p.values)) malformed('values is not an object');
  needList(p.warnings, 'warnings');
  for (const w of p.warnings) needText(w, 'a warning');
  if (p.supersedes !== null) {
    needHash(p.supersedes, 'supersedes');
    needNonBlank(p.reason, 'reason of a correction');
  } else if (p.reason !== null) malformed('reason is set without supersedes');
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
  // GAP 10: an approval's reason is "null or any text" (§4), which §5.3 item 1 hands over to
  // §4 ("reason ... as §4 says"): read as any string, the empty string included.
  else if (p.reason !== null) needString(p.reason, 'reason');
  if ('overrides' in p) {
    needList(p.overrides, 'overrides');
    for (const h of p.overrides) needHash(h, 'an override');
    if (new Set(p.overrides).size !== p.overrides.length) malformed('overrides names a hash twice');
  }
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
  needText(p.election, 'election');
  needNonBlank(p.officer_id, 'officer_id');
  needNonBlank(p.name, 'name');
  needRole(p.role);
  if (typeof p.jurisdiction !== 'string' || !REGION_RE.test(p.jurisdiction)) malformed('jurisdiction is not a region code');
  needTime(p.valid_from, 'valid_from');
  needTime(p.valid_until, 'valid_until');
  needTime(p.issued, 'issued');
  if (parseTime(p.valid_until) < parseTime(p.valid_from)) malformed('valid_until is before valid_from');
  checkPublicKey(p);
}

export function checkRevocations(p) {
  exactMembers(p, ['type', 'election', 'version', 'issued', 'revoked']);
  if (p.type !== 'revocations') malformed('type');
  needText(p.election, 'election');
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

// Not admitted at a door (§5 step 2: malformed there); checked only for the envelope vectors.
export function checkReceipt(p) {
  exactMembers(p, ['type', 'server', 'time', 'election', 'stored', 'held', 'refused']);
  if (p.type !== 'receipt') malformed('type');
  needHash(p.server, 'server');
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

export function checkCertificateRequest(p) {
  exactMembers(p, ['type', 'name', 'officer_id', 'role', 'public_key', 'key_id']);
  if (p.type !== 'certificate_request') malformed('type');
  needNonBlank(p.name, 'name');
  needNonBlank(p.officer_id, 'officer_id');
  needRole(p.role);
  checkPublicKey(p);
}

// GAP 13: a term that is an object is read by the first of `field`, `const`, `station` it
// has; one with two of them, or none, is refused.
function checkTerm(t, fieldIds, what) {
  if (typeof t === 'string') {
    if (!fieldIds.has(t)) malformed(`${what}: unknown field ${t}`);
    return;
  }
  if (!isObject(t)) malformed(`${what}: a term is neither a field id nor an object`);
  const kinds = ['field', 'const', 'station'].filter((k) => k in t);
  if (kinds.length !== 1) malformed(`${what}: a term must have exactly one of field, const, station`);
  if (kinds[0] === 'field' && (typeof t.field !== 'string' || !fieldIds.has(t.field))) malformed(`${what}: unknown field ${t.field}`);
  if (kinds[0] === 'const' && !isInt(t.const)) malformed(`${what}: const is not an integer`);
  if (kinds[0] === 'station' && t.station !== 'registered') malformed(`${what}: station term other than registered`);
  if ('times' in t && !isInt(t.times)) malformed(`${what}: times is not an integer`);
}

// §4 election package. The top level is exact; nested objects need the members listed and
// may carry others (ignored).
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
    listedMembers(c, ['id', 'name', 'kind', 'choices', 'form'], 'contest');
    needId(c.id, 'contest id');
    if (contestIds.has(c.id)) malformed(`contest ${c.id} twice`);
    contestIds.add(c.id);
    needTextPair(c.name, `contest ${c.id} name`);
    if (c.kind !== 'candidates' && c.kind !== 'parties') malformed('contest kind');
    needList(c.choices, 'choices');
    if (!c.choices.length) malformed(`contest ${c.id} has no choice`);
    for (const ch of c.choices) {
      listedMembers(ch, ['id', 'number', 'name'], 'choice');
      needId(ch.id, 'choice id');
      if (!isInt(ch.number) || ch.number < 1) malformed('choice number is not an integer >= 1');
      needNonBlank(ch.name, 'choice name');
      // GAP 13: `candidates` "optionally ... (default none)": absent means none; when present
      // it must be a list (null is refused).
      if ('candidates' in ch) {
        needList(ch.candidates, 'candidates');
        for (const cand of ch.candidates) {
          listedMembers(cand, ['id', 'number', 'name'], 'candidate');
          needId(cand.id, 'candidate id');
          if (!isInt(cand.number) || cand.number < 1) malformed('candidate number is not an integer >= 1');
          needNonBlank(cand.name, 'candidate name'); // GAP 13: as a choice's name
        }
      }
    }
    listedMembers(c.form, ['sections', 'rules'], 'form');
    needList(c.form.sections, 'sections');
    const fieldIds = new Set();
    for (const s of c.form.sections) {
      listedMembers(s, ['id', 'label', 'fields'], 'section');
      needString(s.id, 'section id'); // GAP 13: a section's id and label kinds are not given
      needTextPair(s.label, 'section label');
      needList(s.fields, 'fields');
      for (const f of s.fields) {
        listedMembers(f, ['id', 'label'], 'field');
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
      listedMembers(r, ['id', 'severity', 'left', 'op', 'right', 'message'], 'rule');
      needString(r.id, 'rule id'); // GAP 13: a rule id's kind is not given (any text)
      if (ruleIds.has(r.id)) malformed(`rule ${r.id} twice`);
      ruleIds.add(r.id);
      if (r.severity !== 'error' && r.severity !== 'warning') malformed('rule severity');
      if (!['eq', 'le', 'lt', 'ge', 'gt'].includes(r.op)) malformed('rule op');
      needList(r.left, 'rule left');
      needList(r.right, 'rule right');
      for (const t of [...r.left, ...r.right]) checkTerm(t, fieldIds, `rule ${r.id}`);
      needTextPair(r.message, 'rule message');
    }
  }
  needList(p.regions, 'regions');
  const regions = new Map();
  for (const r of p.regions) {
    listedMembers(r, ['code', 'name', 'level', 'parent'], 'region');
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
    listedMembers(s, ['code', 'region', 'name', 'registered', 'contests'], 'station');
    if (typeof s.code !== 'string' || !REGION_RE.test(s.code)) malformed('station code');
    if (stations.has(s.code)) malformed(`station ${s.code} twice`);
    stations.add(s.code);
    const village = typeof s.region === 'string' ? regions.get(s.region) : undefined;
    if (!village || village.level !== 'village') malformed(`station ${s.code}: region is not a village`);
    if (!s.code.startsWith(s.region + '.')) malformed(`station ${s.code} is not inside its village`);
    needNonBlank(s.name, 'station name');
    if (!isInt(s.registered) || s.registered < 0) malformed('registered is not an integer >= 0');
    needList(s.contests, 'station contests');
    // GAP 13: a contest named twice in a station's `contests` is not refused (the text does not say)
    for (const id of s.contests) if (typeof id !== 'string' || !contestIds.has(id)) malformed(`station ${s.code}: unknown contest ${id}`);
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
  return { payload: p, id: p.election, version: p.version, contests, stations: new Map(p.stations.map((s) => [s.code, s])) };
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
    const role = p.type === 'sheet' ? 'operator' : 'supervisor';
    const withRole = certs.filter((c) => c.role === role);
    if (!withRole.length) return 'role';
    // one certificate must fit all of 2 to 4 at once
    const inRegion = withRole.filter((c) => contains(c.jurisdiction, p.station));
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
  // GAP 35: the document does not say how a holder checks evidence it is given; read as: both
  // parse (§3), are chained records of one signer at one seq with different hashes, and both
  // signatures are accepted under the signer's known key. Evidence that fails is not kept.
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
    if (!['sheet', 'review'].includes(a.type) || !['sheet', 'review'].includes(b.type)) return 'not chained records';
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
  // With replay: true (§5.7) a record with a finding still takes its place in its signer's
  // chain (unless it is malformed, or equivocates: that place is taken), and `revoked` is
  // a finding of severity attention instead of a refusal.
  offer(record, { seen, position = null }, { replay = false } = {}) {
    let env;
    try {
      env = parseEnvelope(record);
    } catch (e) {
      if (e instanceof Refusal) return { status: 'refused', reason: e.reason, detail: e.detail, hash: null, findings: [e.reason] };
      throw e;
    }
    const entry = { env, seen, position };
    // §5 step 1: held (no signature check: the held record keeps its own signature).
    // GAP 40: "Nothing is held in a replay" is read as: a replay starts from an empty set; a
    // record met twice in one replay would be held (the vectors have none).
    if (this.records.has(env.hash)) return { status: 'held', reason: null, hash: env.hash, findings: [] };
    try {
      if (['election', 'certificate', 'revocations'].includes(env.type)) return this._authority(entry);
      if (env.type === 'sheet' || env.type === 'review') return this._officer(entry, replay);
      malformed(`type ${env.type} does not enter a holder's set`); // §5 step 2
    } catch (e) {
      if (e instanceof Refusal) return { status: 'refused', reason: e.reason, detail: e.detail, hash: env.hash, findings: [e.reason] };
      throw e;
    }
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
      const station = this.E.stations.get(p.station);
      if (!station) refuse('unknown_station', p.station);
      if (!station.contests.includes(p.contest)) refuse('unknown_contest', p.contest);
      // 7
      if (env.type === 'sheet') {
        const { contest, fields } = this.E.contests.get(p.contest);
        const keys = Object.keys(p.values);
        const ok = keys.length === fields.length && fields.every((f) => keys.includes(f)) && keys.every((k) => isInt(p.values[k]) && p.values[k] >= 0 && p.values[k] <= MAX_VALUE);
        if (!ok) refuse('bad_values', 'values are not exactly the form fields as counts');
        for (const rule of contest.form.rules) {
          if (rule.severity === 'error' && !ruleHolds(rule, p.values, station.registered)) refuse('breaks_rule', rule.id);
        }
      }
      // 8
      const st = this.standing(entry);
      if (st && (replay ? REPLAY_ERRORS : DOOR_REFUSES).has(st)) refuse(st, 'standing');
      if (st) notices.push(st);
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      // GAP 36: in a replay the §5.3 checks stop at the first failure ("the first failure
      // decides"); item 9 is then not looked at.
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
    }
    return null;
  }

  _officer(entry, replay) {
    const { env } = entry;
    const p = env.payload;
    // 1
    if (env.type === 'sheet') checkSheet(p, env.signer);
    else checkReview(p, env.signer);
    const { refusal, notices, verified } = this._check(entry, replay);
    if (refusal && !replay) throw refusal;
    const findings = [...(refusal ? [refusal.reason] : []), ...notices];
    // §5.5 1: equivocation. The held record stays; the offered one is refused (no place).
    const other = (this.chains.get(p.signer) || new Map()).get(p.seq);
    if (other && other.env.hash !== env.hash) {
      // GAP 39: fork evidence needs "both with accepted signatures"; in a replay a record
      // placed with a finding (its signature perhaps never checked) makes no evidence.
      if (verified && !other.refusal) this.forks.push([other.env, env]);
      if (!replay) refuse('equivocation', `another record at seq ${p.seq}`);
      findings.push('equivocation');
      return { status: 'refused', reason: findings[0], hash: env.hash, findings };
    }
    const place = this._placeProblem(env);
    if (place && !replay) throw place;
    if (place) findings.push(place.reason);
    // In a replay a record with a finding still takes its place (§5.7).
    entry.refusal = refusal ? refusal.reason : place ? place.reason : null;
    entry.findings = findings;
    this._place(entry);
    if (entry.refusal) return { status: 'refused', reason: findings[0], hash: env.hash, findings };
    return { status: 'admitted', reason: null, hash: env.hash, findings };
  }

  _place(entry) {
    const p = entry.env.payload;
    if (!this.chains.has(p.signer)) this.chains.set(p.signer, new Map());
    this.chains.get(p.signer).set(p.seq, entry);
    this._add(entry);
  }

  officerEntries() {
    return this.order.map((h) => this.records.get(h)).filter((e) => e.env.type === 'sheet' || e.env.type === 'review');
  }
}

// ---------------------------------------------------------------- §5.7 replay

// items: [{record, seen, position}] in arrival order; forks: pairs of records the holder
// keeps. Returns {holder, findings: [[hash, name]...], forkReports, rejectedEvidence}.
export function replay(items, { authorityKey, ownKey = null, forks = [] }) {
  const holder = new Holder({ authorityKey, ownKey });
  const findings = [];
  const isAuthority = (it) => isObject(it.record) && isObject(it.record.payload) && ['election', 'certificate', 'revocations'].includes(it.record.payload.type);
  const note = (it, res) => {
    const hash = res.hash || (isObject(it.record) && typeof it.record.hash === 'string' ? it.record.hash : null);
    for (const name of res.findings) findings.push([hash, name]);
  };
  // first the authority records, each as it arrived (one with a finding does not enter the trust)
  for (const it of items.filter(isAuthority)) note(it, holder.offer(it.record, it, { replay: true }));
  // the fork evidence the holder keeps, checked against the trust so built
  const rejectedEvidence = [];
  for (const pair of forks) {
    const why = holder.addForkEvidence(pair);
    if (why) rejectedEvidence.push(why);
  }
  // GAP 37: §5.7 says kept fork evidence "is reported as equivocation against the signer";
  // the vectors' findings hold no such entry (only the `forked` findings of the records it
  // makes forked), so the report is kept apart from the per-record findings.
  const forkReports = holder.forks.map(([a, b]) => ({ signer: a.signer, seq: a.payload.seq, hashes: [a.hash, b.hash], name: 'equivocation' }));
  for (const it of items.filter((x) => !isAuthority(x))) note(it, holder.offer(it.record, it, { replay: true }));
  // Records placed before a fork met later in the replay became `forked` (§5.5 item 1).
  for (const e of holder.officerEntries()) {
    if (!e.refusal && holder.standing(e) === 'forked' && !e.findings.includes('forked')) {
      e.findings.push('forked');
      findings.push([e.env.hash, 'forked']);
    }
  }
  return { holder, findings, forkReports, rejectedEvidence };
}

// ---------------------------------------------------------------- §6 which sheets count

const sameValues = (a, b) => {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
};

// State of one station and contest from its held sheets and reviews (entries).
export function contestState(holder, entries) {
  const sheetsHeld = entries.filter((e) => e.env.type === 'sheet');
  // GAP 32: a station and contest with reviews but no sheet is not_entered ("no sheet held").
  if (!sheetsHeld.length) return { state: 'not_entered', counted: [], attention: [] };
  const attention = new Set();
  const counts = [];
  for (const e of entries) {
    // 1. set aside: standing (§5.4) not "may count". GAP 27: a record placed in a replay
    // with a finding that refuses (an error of §5.3 or §5.5) whose standing may count is set
    // aside too, under that finding's name.
    const st = holder.standing(e) || e.refusal || null;
    if (st) attention.add(st);
    else counts.push(e);
  }
  const sheets = counts.filter((e) => e.env.type === 'sheet');
  const reviews = counts.filter((e) => e.env.type === 'review');
  const done = (state, counted = []) => ({ state, counted: counted.map((e) => e.env.hash).sort(), attention: [...attention].sort() });
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
  // 3. reviews in force (only reviews that may count). GAP 38: "Reviews of sheets that are
  // not latest versions change nothing" is read as covering their `overrides` too.
  const latestHashes = new Set(latest.map((s) => s.env.hash));
  const overridden = new Set(reviews.filter((r) => latestHashes.has(r.env.payload.sheet)).flatMap((r) => r.env.payload.overrides || []));
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
// §6 summary state of one station from its contests' states (not covered by the vectors).
export function stationSummary(contestStates) {
  const states = contestStates.map((s) => s.state);
  const entered = states.filter((s) => s !== 'not_entered');
  // GAP 34: "partial (some contests entered)" read as: some but not all contests not_entered.
  if (entered.length && entered.length < states.length) {
    const worse = URGENCY.slice(0, URGENCY.indexOf('partial')).find((u) => states.includes(u));
    return worse || 'partial';
  }
  return URGENCY.find((u) => states.includes(u)) || 'not_entered';
}
