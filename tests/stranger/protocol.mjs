// Records, admission rule and counting of PROTOCOL.md §3–§6, written from the document
// alone. Where the document leaves a choice open, the choice is marked "GAP n" (the
// numbers refer to the list in README.md).

import { createHash } from 'node:crypto';
import { canonicalBytes, isObject, CanonicalError } from './canonical.mjs';
import { accepted, publicKeyProblem } from './ed25519.mjs';

export const PROTOCOL = 'recap/1';
const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
const TYPE_RE = /^[a-z][a-z_]{0,31}$/;
const TIME_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;
const ELECTION_ID_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const REGION_RE = /^[0-9]{2}(\.[0-9]{2,4}){0,4}$/;
const MAX_VALUE = 10 ** 9;

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
};

export const sha256hex = (bytes) => createHash('sha256').update(bytes).digest('hex');
export const keyIdOf = (pkHex) => sha256hex(Buffer.from(pkHex, 'hex'));

export function signingMessage(type, canonical) {
  return Buffer.concat([Buffer.from(`${PROTOCOL}\n${type}\n`, 'ascii'), canonical]);
}

// ---------------------------------------------------------------- small checks

class Refusal extends Error {
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

// "a real date and time", UTC to the second. Returns seconds since the epoch or null.
export function parseTime(s) {
  if (typeof s !== 'string' || !TIME_RE.test(s)) return null;
  const [y, mo, d, h, mi, se] = [s.slice(0, 4), s.slice(5, 7), s.slice(8, 10), s.slice(11, 13), s.slice(14, 16), s.slice(17, 19)].map(Number);
  // GAP 9: year 0000 and leap second :60 are refused (no real date / not a real time in UTC arithmetic).
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return null;
  const dim = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  if (d > dim) return null;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, se, 0);
  return date.getTime() / 1000;
}

const isInt = (v) => typeof v === 'number' && Number.isSafeInteger(v);
const isText = (v) => typeof v === 'string' && v.length > 0; // "texts non-empty"
// GAP 10: "non-blank" read as: contains a character that is not Unicode white space.
const isNonBlank = (v) => typeof v === 'string' && v.trim().length > 0;

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
const needHash = (v, what) => {
  if (typeof v !== 'string' || !HEX64.test(v)) malformed(`${what} is not a hash`);
};
const needBilingual = (v, what) => {
  exactMembers(v, ['id', 'en'], [], what);
  needText(v.id, `${what}.id`);
  needText(v.en, `${what}.en`);
};
const needList = (v, what) => {
  if (!Array.isArray(v)) malformed(`${what} is not a list`);
};

// ---------------------------------------------------------------- §3 envelope

// Parses an envelope (a JSON value already read under §1). Returns
// {payload, signer, sig, hash, type, canonical}; throws Refusal('malformed').
export function parseEnvelope(rec) {
  exactMembers(rec, ['payload', 'signer', 'sig', 'hash'], [], 'envelope');
  if (!isObject(rec.payload)) malformed('payload is not an object');
  if (typeof rec.signer !== 'string' || !HEX64.test(rec.signer)) malformed('signer is not a key id');
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
  // GAP 5: a hash that is not SHA-256 of the payload is `malformed` (the vectors say so).
  if (hash !== rec.hash) malformed('hash is not SHA-256 of the canonical payload');
  return { payload: rec.payload, signer: rec.signer, sig: Buffer.from(rec.sig, 'hex'), hash, type, canonical };
}

export function signatureAccepted(env, publicKeyHex) {
  return accepted(Buffer.from(publicKeyHex, 'hex'), env.sig, signingMessage(env.type, env.canonical));
}

// ---------------------------------------------------------------- §4 record types

const CHAIN_MEMBERS = ['type', 'signer', 'seq', 'prev', 'time', 'election'];

function checkChained(p, envSigner) {
  needHash(p.signer, 'signer');
  // GAP 7: payload.signer different from the envelope's signer is read as `malformed`.
  if (p.signer !== envSigner) malformed("payload.signer is not the envelope's signer");
  if (!isInt(p.seq) || p.seq < 1) malformed('seq is not an integer >= 1');
  // GAP 8: prev null iff seq is 1 is a shape rule (`malformed`); a wrong hash is chain_prev.
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
  // GAP 11: at this step `values` need only be an object; its members are checked by step 7 (bad_values).
  if (!isObject(p.values)) malformed('values is not an object');
  needList(p.warnings, 'warnings');
  for (const w of p.warnings) needText(w, 'a warning');
  if (p.supersedes !== null) needHash(p.supersedes, 'supersedes');
  if (p.supersedes !== null) {
    if (!isNonBlank(p.reason)) malformed('a correction needs a non-blank reason');
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
  if (p.decision === 'reject') {
    if (!isNonBlank(p.reason)) malformed('a rejection needs a non-blank reason');
  } else if (p.reason !== null) needText(p.reason, 'reason'); // GAP 10: approve: null or a non-empty text
  if ('overrides' in p) {
    needList(p.overrides, 'overrides');
    for (const h of p.overrides) needHash(h, 'an override');
    if (new Set(p.overrides).size !== p.overrides.length) malformed('overrides names a hash twice');
  }
}

export function checkCertificate(p) {
  exactMembers(p, ['type', 'election', 'officer_id', 'name', 'role', 'jurisdiction', 'public_key', 'key_id', 'valid_from', 'valid_until', 'issued']);
  if (p.type !== 'certificate') malformed('type');
  needText(p.election, 'election');
  needText(p.officer_id, 'officer_id');
  needText(p.name, 'name');
  if (p.role !== 'operator' && p.role !== 'supervisor') malformed('role');
  // GAP 14: jurisdiction must be a region code (the regular expression of §4 election).
  if (typeof p.jurisdiction !== 'string' || !REGION_RE.test(p.jurisdiction)) malformed('jurisdiction is not a region code');
  needHash(p.public_key, 'public_key');
  needHash(p.key_id, 'key_id');
  needTime(p.valid_from, 'valid_from');
  needTime(p.valid_until, 'valid_until');
  needTime(p.issued, 'issued');
  if (parseTime(p.valid_until) < parseTime(p.valid_from)) malformed('valid_until is before valid_from');
  const problem = publicKeyProblem(Buffer.from(p.public_key, 'hex'));
  if (problem) malformed(problem);
  if (keyIdOf(p.public_key) !== p.key_id) malformed("key_id is not the key's id");
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
    needText(e.reason, 'revoked reason'); // GAP 15: reason non-empty; a key named twice is allowed
    needTime(e.time, 'revoked time');
  }
}

function checkTerm(t, fieldIds, what) {
  if (typeof t === 'string') {
    if (!fieldIds.has(t)) malformed(`${what}: unknown field ${t}`);
    return;
  }
  if (!isObject(t)) malformed(`${what}: not a term`);
  if ('field' in t) {
    exactMembers(t, ['field'], ['times'], what);
    if (!fieldIds.has(t.field)) malformed(`${what}: unknown field ${t.field}`);
  } else if ('const' in t) {
    exactMembers(t, ['const'], [], what);
    if (!isInt(t.const)) malformed(`${what}: const is not an integer`);
  } else if ('station' in t) {
    exactMembers(t, ['station'], ['times'], what);
    if (t.station !== 'registered') malformed(`${what}: station term other than registered`);
  } else malformed(`${what}: not a term`);
  if ('times' in t && !isInt(t.times)) malformed(`${what}: times is not an integer`);
}

// GAP 13: everything below about the package's inner structure is read from the compact
// schema of §4; the exact members and kinds of each part are guesses.
export function checkElection(p) {
  exactMembers(p, ['type', 'election', 'version', 'name', 'issued', 'expires', 'contests', 'regions', 'stations'], ['demo']);
  if (p.type !== 'election') malformed('type');
  if (typeof p.election !== 'string' || !ELECTION_ID_RE.test(p.election)) malformed('election id');
  if (!isInt(p.version) || p.version < 1) malformed('version');
  needBilingual(p.name, 'name');
  needTime(p.issued, 'issued');
  needTime(p.expires, 'expires');
  if (!(parseTime(p.expires) > parseTime(p.issued))) malformed('expires is not after issued');
  if ('demo' in p && typeof p.demo !== 'boolean') malformed('demo is not a boolean');
  needList(p.contests, 'contests');
  const contestIds = new Set();
  for (const c of p.contests) {
    exactMembers(c, ['id', 'name', 'kind', 'choices', 'form'], [], 'contest');
    needText(c.id, 'contest id');
    if (contestIds.has(c.id)) malformed(`contest ${c.id} twice`);
    contestIds.add(c.id);
    needBilingual(c.name, 'contest name');
    if (c.kind !== 'candidates' && c.kind !== 'parties') malformed('contest kind');
    needList(c.choices, 'choices');
    for (const ch of c.choices) {
      // GAP 13: `candidates` is read as present exactly for kind "parties" (the vectors'
      // "candidates" contest has choices without it, contrary to the §4 schema line).
      exactMembers(ch, c.kind === 'parties' ? ['id', 'number', 'name', 'candidates'] : ['id', 'number', 'name'], [], 'choice');
      needText(ch.id, 'choice id');
      if (!isInt(ch.number)) malformed('choice number');
      needText(ch.name, 'choice name');
      if (c.kind === 'parties') {
        needList(ch.candidates, 'candidates');
        for (const cand of ch.candidates) {
          exactMembers(cand, ['id', 'number', 'name'], [], 'candidate');
          needText(cand.id, 'candidate id');
          if (!isInt(cand.number)) malformed('candidate number');
          needText(cand.name, 'candidate name');
        }
      }
    }
    exactMembers(c.form, ['sections', 'rules'], [], 'form');
    needList(c.form.sections, 'sections');
    const fieldIds = new Set();
    for (const s of c.form.sections) {
      exactMembers(s, ['id', 'label', 'fields'], [], 'section');
      needText(s.id, 'section id');
      needBilingual(s.label, 'section label');
      needList(s.fields, 'fields');
      for (const f of s.fields) {
        exactMembers(f, ['id', 'label'], [], 'field');
        needText(f.id, 'field id');
        if (fieldIds.has(f.id)) malformed(`field ${f.id} twice`);
        fieldIds.add(f.id);
        needBilingual(f.label, 'field label');
      }
    }
    needList(c.form.rules, 'rules');
    for (const r of c.form.rules) {
      exactMembers(r, ['id', 'severity', 'left', 'op', 'right', 'message'], [], 'rule');
      needText(r.id, 'rule id');
      if (r.severity !== 'error' && r.severity !== 'warning') malformed('rule severity');
      if (!['eq', 'le', 'lt', 'ge', 'gt'].includes(r.op)) malformed('rule op');
      needList(r.left, 'rule left');
      needList(r.right, 'rule right');
      for (const t of [...r.left, ...r.right]) checkTerm(t, fieldIds, `rule ${r.id}`);
      needBilingual(r.message, 'rule message');
    }
  }
  needList(p.regions, 'regions');
  const regions = new Map();
  for (const r of p.regions) {
    exactMembers(r, ['code', 'name', 'level', 'parent'], [], 'region');
    if (typeof r.code !== 'string' || !REGION_RE.test(r.code)) malformed('region code');
    if (regions.has(r.code)) malformed(`region ${r.code} twice`);
    needText(r.name, 'region name');
    if (!['province', 'regency', 'district', 'village'].includes(r.level)) malformed('region level');
    if (r.parent !== null) {
      if (!regions.has(r.parent)) malformed(`region ${r.code}: parent not listed before it`);
      if (!r.code.startsWith(r.parent + '.')) malformed(`region ${r.code} is not inside its parent`);
    }
    regions.set(r.code, r);
  }
  needList(p.stations, 'stations');
  const stations = new Set();
  for (const s of p.stations) {
    exactMembers(s, ['code', 'region', 'name', 'registered', 'contests'], [], 'station');
    needText(s.code, 'station code');
    if (stations.has(s.code)) malformed(`station ${s.code} twice`);
    stations.add(s.code);
    const village = regions.get(s.region);
    if (!village || village.level !== 'village') malformed(`station ${s.code}: region is not a village`);
    if (!s.code.startsWith(s.region + '.')) malformed(`station ${s.code} is not inside its village`);
    needText(s.name, 'station name');
    if (!isInt(s.registered) || s.registered < 0) malformed('registered');
    needList(s.contests, 'station contests');
    for (const id of s.contests) if (!contestIds.has(id)) malformed(`station ${s.code}: unknown contest ${id}`);
    if (new Set(s.contests).size !== s.contests.length) malformed(`station ${s.code}: contest twice`);
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
  if ('const' in t) return BigInt(t.const);
  return BigInt(registered) * times;
}

export function ruleHolds(rule, values, registered) {
  const sum = (terms) => terms.reduce((a, t) => a + termValue(t, values, registered), 0n);
  const l = sum(rule.left);
  const r = sum(rule.right);
  return { eq: l === r, le: l <= r, lt: l < r, ge: l >= r, gt: l > r }[rule.op];
}

// ---------------------------------------------------------------- §5 the holder

const contains = (region, code) => code === region || code.startsWith(region + '.');

export class Holder {
  constructor({ authorityKey, ownKey = null }) {
    this.authorityKey = authorityKey; // hex public key
    this.authorityId = keyIdOf(authorityKey);
    this.ownKey = ownKey;
    this.ownId = ownKey ? keyIdOf(ownKey) : null;
    this.records = new Map(); // hash -> entry {env, seen, position}
    this.order = [];
    this.packages = new Map(); // version -> entry
    this.E = null; // indexed package in force
    this.certs = new Map(); // key id -> [certificate payload]
    this.revLists = new Map(); // version -> entry
    this.chains = new Map(); // signer -> Map(seq -> entry)
    this.forks = []; // [entryA, entryB]
  }

  _add(entry) {
    this.records.set(entry.env.hash, entry);
    this.order.push(entry.env.hash);
  }

  // GAP 22: revoked = named by the list in force; the revocation's position is the lowest
  // known position of any admitted list (in force or history) naming the key.
  revokedKeys() {
    if (!this.revLists.size) return new Set();
    const top = this.revLists.get(Math.max(...this.revLists.keys()));
    return new Set(top.env.payload.revoked.map((e) => e.key_id));
  }

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
    for (const [a] of this.forks) if (a.env.signer === keyId) n = Math.min(n, a.env.payload.seq);
    return n;
  }

  head(signer) {
    const chain = this.chains.get(signer);
    if (!chain || !chain.size) return null;
    return chain.get(Math.max(...chain.keys()));
  }

  publicKeyOf(keyId) {
    if (keyId === this.authorityId) return this.authorityKey;
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
    // GAP 21: "those" read cumulatively: one certificate must have the role, the region and cover the record.
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

  // The admission rule (§5) for one record offered at a door. Returns
  // {status: 'admitted'|'held'|'refused', reason, notice, hash}. With replay: true (§5.7)
  // an officer record with a finding still takes its place in the set.
  offer(record, { seen, position = null }, { replay = false } = {}) {
    let env;
    try {
      env = parseEnvelope(record);
    } catch (e) {
      if (e instanceof Refusal) return { status: 'refused', reason: e.reason, detail: e.detail, hash: null };
      throw e;
    }
    const entry = { env, seen, position };
    try {
      // GAP 18: a record whose hash is held is answered `held` once its signature is accepted
      // under the signer's key; a bad signature on a held hash is `bad_signature`.
      if (this.records.has(env.hash)) {
        const pk = this.publicKeyOf(env.signer);
        if (!pk || !signatureAccepted(env, pk)) refuse('bad_signature', 'signature of a held hash not accepted');
        return { status: 'held', reason: null, hash: env.hash };
      }
      if (['election', 'certificate', 'revocations'].includes(env.type)) return this._authority(entry);
      if (env.type === 'sheet' || env.type === 'review') return this._officer(entry, replay);
      // GAP 19: any other type (receipt, certificate_request, unknown) offered at a door.
      malformed(`type ${env.type} does not enter a holder's set`);
    } catch (e) {
      if (e instanceof Refusal) return { status: 'refused', reason: e.reason, detail: e.detail, hash: env.hash };
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
    return { status: 'admitted', reason: null, hash: env.hash };
  }

  _officer(entry, replay) {
    const { env } = entry;
    const p = env.payload;
    // 1
    if (env.type === 'sheet') checkSheet(p, env.signer);
    else checkReview(p, env.signer);
    // 2
    if (env.signer === this.authorityId) refuse('role', 'the authority key signs no officer record');
    // 3
    const pk = this.publicKeyOf(env.signer);
    if (!pk) refuse('unknown_signer', 'no certificate gives the key');
    // 4
    if (!signatureAccepted(env, pk)) refuse('bad_signature', 'signature not accepted');
    // GAP 27: in a replay, only a record that passed steps 1–4 takes its place.
    let finding = null; // a refusal that, in a replay, still lets the record take its place
    const checks = () => {
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
      if (st === 'role' || st === 'jurisdiction' || st === 'certificate_expired' || st === 'revoked') refuse(st, 'standing');
      return st;
    };
    let notice = null;
    try {
      notice = checks();
    } catch (e) {
      if (!(e instanceof Refusal) || !replay) throw e;
      finding = e;
    }
    // §5.5 the record's place. GAP 23: "earlier in the offering" = admitted earlier.
    // GAP 24: the record already held at seq n stays in the set (it becomes `forked`).
    const chain = this.chains.get(p.signer) || new Map();
    const other = chain.get(p.seq);
    if (other && other.env.hash !== env.hash) {
      this.forks.push([other, entry]);
      refuse('equivocation', `another record at seq ${p.seq}`);
    }
    const placeProblem = () => {
      const head = this.head(p.signer);
      const last = head ? head.env.payload.seq : 0;
      if (p.seq !== last + 1) return new Refusal('chain_gap', `seq ${p.seq} after ${last}`);
      if (head && p.prev !== head.env.hash) return new Refusal('chain_prev', 'prev is not the previous record');
      if (head && parseTime(p.time) < parseTime(head.env.payload.time)) return new Refusal('time_order', 'time goes back');
      const held = (h, type) => {
        const e = this.records.get(h);
        return e && e.env.type === type && e.env.payload.station === p.station && e.env.payload.contest === p.contest;
      };
      // GAP 25: §5.5 is followed literally: same station and contest, any signer.
      if (env.type === 'sheet' && p.supersedes !== null && !held(p.supersedes, 'sheet')) return new Refusal('dangling', 'supersedes');
      if (env.type === 'review') {
        if (!held(p.sheet, 'sheet')) return new Refusal('dangling', 'sheet');
        for (const h of p.overrides || []) if (!held(h, 'review')) return new Refusal('dangling', 'overrides');
      }
      return null;
    };
    const place = placeProblem();
    if (place && !replay) throw place;
    if (finding || place) {
      // replay: the record keeps its place so that the next ones are not reported for it
      const f = finding || place;
      entry.finding = f.reason;
      this._place(entry);
      throw f;
    }
    this._place(entry);
    return { status: 'admitted', reason: notice, hash: env.hash };
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

// items: [{record, seen, position}] in arrival order. Returns {holder, findings}.
export function replay(items, { authorityKey, ownKey = null }) {
  const holder = new Holder({ authorityKey, ownKey });
  const findings = [];
  const isAuthority = (it) => isObject(it.record) && isObject(it.record.payload) && ['election', 'certificate', 'revocations'].includes(it.record.payload.type);
  const note = (it, res) => {
    const hash = res.hash || (isObject(it.record) ? it.record.hash : null);
    if (res.status === 'refused') findings.push([hash, res.reason]);
    else if (res.reason) findings.push([hash, res.reason]); // notices (awaiting_certificate, forked)
  };
  for (const it of items.filter(isAuthority)) note(it, holder.offer(it.record, it, { replay: true }));
  for (const it of items.filter((x) => !isAuthority(x))) note(it, holder.offer(it.record, it, { replay: true }));
  // GAP 27: fork evidence is reported as equivocation (above, when met); the records it
  // makes `forked` that were placed before the evidence was met are reported here.
  for (const e of holder.officerEntries()) {
    if (!e.finding && e.env.payload.seq >= holder.forkSeq(e.env.signer)) {
      if (!findings.some(([h, n]) => h === e.env.hash && n === 'forked')) findings.push([e.env.hash, 'forked']);
    }
  }
  return { holder, findings };
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
  if (!sheetsHeld.length) return { state: 'not_entered', counted: [], attention: [] };
  const attention = new Set();
  const counts = [];
  for (const e of entries) {
    // GAP 27: a record with an error finding in the replay is set aside under that name.
    const st = e.finding || holder.standing(e);
    if (st) attention.add(st);
    else counts.push(e);
  }
  const sheets = counts.filter((e) => e.env.type === 'sheet');
  const reviews = counts.filter((e) => e.env.type === 'review');
  const done = (state, counted = []) => ({ state, counted: counted.map((e) => e.env.hash).sort(), attention: [...attention].sort() });
  if (!sheets.length) return done('uncounted'); // GAP 32: checked before steps 2–6
  // 2. latest version of each signer
  const bySigner = new Map();
  for (const s of sheets) {
    if (!bySigner.has(s.env.signer)) bySigner.set(s.env.signer, []);
    bySigner.get(s.env.signer).push(s);
  }
  const latest = [];
  for (const own of bySigner.values()) {
    // GAP 30: "no later sheet of the same signer supersedes" read as: not named in
    // `supersedes` by a sheet of the same signer with a higher seq.
    const left = own.filter((s) => !own.some((o) => o.env.payload.seq > s.env.payload.seq && o.env.payload.supersedes === s.env.hash));
    left.sort((a, b) => b.env.payload.seq - a.env.payload.seq);
    latest.push(left[0]);
  }
  // 3. reviews in force. GAP 29: only reviews that may count are considered at all.
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
  // 5. GAP 31: "approved versions" = latest versions whose reviews in force approve.
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

// GAP 33: `counted` is the number of stations; region = code equal or prefix + ".".
// Totals of a region for one contest: every field of the contest's form, summed over the
// stations inside the region whose state counts (one counted sheet per station).
export function totals(holder, states, region, contest) {
  const sums = {};
  const c = holder.E && holder.E.contests.get(contest);
  if (c) for (const f of c.fields) sums[f] = 0;
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
// §6 summary state of one station from its contests' states.
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
