#!/usr/bin/env node
// Stranger's verifier for PROTOCOL.md §1–§8, and a runner over the published vectors.
// Usage (from the repository root): node tests/stranger/verifier.mjs [--verbose]
// Exit code 0 only when every vector matches.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, encode, canonicalBytes } from './canonical.mjs';
import { signatureProblem, opensslAccepts, publicKeyFromSeed, signWithSeed } from './ed25519.mjs';
import { parseEnvelope, signingMessage, sha256hex, keyIdOf, checkOfficer, checkCertificate, checkRevocations, checkElection, checkReceipt, checkCertificateRequest, Holder, replay, allStates, totals, dhasilState, dhasilOutdated, objectionStatus, SEVERITY } from './protocol.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const VERBOSE = process.argv.includes('--verbose');
const readJSON = (file) => parse(fs.readFileSync(file)); // strict §1 reader (not canonical mode)

const parts = [];
function part(name) {
  const p = { name, matched: 0, mismatched: 0, details: [], info: [] };
  parts.push(p);
  return p;
}
function check(p, label, ok, detail) {
  if (ok) p.matched++;
  else {
    p.mismatched++;
    p.details.push(`${label}: ${detail}`);
  }
  return ok;
}
const same = (a, b) => encode(a) === encode(b);

// ------------------------------------------------------------------ part 1: envelope vectors

function envelopePart() {
  const p = part('1. envelope vectors');
  const ev = readJSON(path.join(REPO, 'tests/vectors/envelope_vectors.json'));
  if (ev.protocol !== 'recap/1') check(p, 'protocol', false, ev.protocol);
  for (const [name, k] of Object.entries(ev.keys)) {
    const pk = publicKeyFromSeed(Buffer.from(k.seed, 'hex')).toString('hex');
    check(p, `key ${name}: public key from seed`, pk === k.public_key, `${pk} != ${k.public_key}`);
    check(p, `key ${name}: key id`, keyIdOf(k.public_key) === k.key_id, keyIdOf(k.public_key));
  }
  const positive = ev.cases.map((c) => ({ ...c, key: ev.keys[c.key], source: 'envelope_vectors.json' }));
  // The two vectors printed in §8 of the document itself.
  const doc = fs.readFileSync(path.join(REPO, 'docs/PROTOCOL.md'), 'utf8');
  const m = doc.match(/```json vectors\n([\s\S]*?)```/);
  if (check(p, '§8 vectors block present', !!m, 'no ```json vectors block in PROTOCOL.md')) {
    parse(m[1]).forEach((v, i) => positive.push({ name: `§8 vector ${i + 1}`, key: { seed: v.seed, public_key: v.public_key, key_id: v.key_id }, canonical_utf8: v.canonical, signing_message_hex: v.signing_message_hex, hash: v.hash, sig: v.sig, source: 'PROTOCOL.md §8' }));
  }
  for (const c of positive) {
    const label = `${c.source} ${c.name}`;
    const seed = Buffer.from(c.key.seed, 'hex');
    const pkBytes = publicKeyFromSeed(seed);
    check(p, `${label}: public key from seed`, pkBytes.toString('hex') === c.key.public_key, pkBytes.toString('hex'));
    check(p, `${label}: key id`, keyIdOf(c.key.public_key) === c.key.key_id, keyIdOf(c.key.public_key));
    // canonical bytes: parse the canonical text in canonical mode (round trip), and from the payload
    let payload;
    try {
      payload = parse(Buffer.from(c.canonical_utf8, 'utf8'), { canonical: true });
      check(p, `${label}: canonical text is canonical`, true);
    } catch (e) {
      check(p, `${label}: canonical text is canonical`, false, e.message);
      continue;
    }
    if (c.payload) {
      const mine = encode(c.payload);
      check(p, `${label}: canonical bytes of payload`, mine === c.canonical_utf8, `\n   mine ${mine}\n   want ${c.canonical_utf8}`);
    }
    const bytes = canonicalBytes(payload);
    if (c.canonical_hex) check(p, `${label}: canonical hex`, bytes.toString('hex') === c.canonical_hex, 'differs');
    const msg = signingMessage(payload.type, bytes);
    check(p, `${label}: signing message`, msg.toString('hex') === c.signing_message_hex, msg.toString('hex'));
    check(p, `${label}: hash`, sha256hex(bytes) === c.hash, sha256hex(bytes));
    const sig = Buffer.from(c.sig, 'hex');
    const problem = signatureProblem(pkBytes, sig, msg);
    check(p, `${label}: signature accepted (§2)`, problem === null, problem);
    const mySig = signWithSeed(seed, msg).toString('hex');
    check(p, `${label}: signature reproduced (RFC 8032 deterministic)`, mySig === c.sig, mySig);
    if (c.record) {
      try {
        const env = parseEnvelope(c.record);
        check(p, `${label}: record envelope`, env.hash === c.hash && c.record.signer === c.key.key_id && same(env.payload, payload), 'envelope differs from the case');
        const officer = (q) => checkOfficer(q, env.signer);
        const checker = { sheet: officer, review: officer, dhasil: officer, objection: officer, resolution: officer, certificate: checkCertificate, revocations: checkRevocations, election: checkElection, receipt: checkReceipt, certificate_request: checkCertificateRequest }[env.type];
        if (checker) {
          try {
            checker(env.payload);
            check(p, `${label}: §4 members of ${env.type}`, true);
          } catch (e) {
            check(p, `${label}: §4 members of ${env.type}`, false, e.message);
          }
        } else p.info.push(`${label}: type ${env.type} is not a §4 record type (canonical-form vector only)`);
      } catch (e) {
        check(p, `${label}: record envelope`, false, e.message);
      }
    }
  }
  for (const n of ev.negative) {
    let refused = null;
    try {
      parse(n.json);
    } catch (e) {
      refused = e.message;
    }
    check(p, `negative ${n.name}`, refused !== null, `accepted, but must be refused (${n.reason})`);
    if (refused && VERBOSE) p.info.push(`negative ${n.name}: refused (${refused})`);
  }
  const q = part('1b. envelope_vectors.json signatures under §2');
  for (const c of ev.signatures || []) {
    const pk = Buffer.from(c.public_key, 'hex');
    const sig = Buffer.from(c.sig, 'hex');
    const msg = Buffer.from(c.message_hex, 'hex');
    const problem = signatureProblem(pk, sig, msg);
    check(q, `signature ${c.name}`, (problem === null) === c.accept, `vector says ${c.accept ? 'accept' : 'refuse'} (${c.why}), §2 rule ${problem === null ? 'accepts' : `refuses (${problem})`}`);
    q.info.push(`${c.name}: §2 ${problem === null ? 'accepts' : `refuses (${problem})`}; Node/OpenSSL verify ${opensslAccepts(pk, sig, msg) ? 'accepts' : 'refuses'}`);
  }
  if (!(ev.signatures || []).length) check(q, 'signatures list present', false, 'no signatures in envelope_vectors.json');
}

// ------------------------------------------------------------------ part 2: Wycheproof

function wycheproofPart() {
  const p = part('2. Wycheproof Ed25519 under §2');
  const file = path.resolve(REPO, '..', 'shared', 'vectors', 'wycheproof_ed25519_test.json');
  const alt = '/work/shared/vectors/wycheproof_ed25519_test.json';
  const f = fs.existsSync(file) ? file : alt;
  if (!fs.existsSync(f)) {
    p.info.push(`SKIPPED: ${file} not found`);
    return;
  }
  const w = readJSON(f);
  let n = 0;
  let opensslDiff = 0;
  for (const g of w.testGroups) {
    const pk = Buffer.from(g.publicKey.pk, 'hex');
    for (const t of g.tests) {
      n++;
      const sig = Buffer.from(t.sig, 'hex');
      const msg = Buffer.from(t.msg, 'hex');
      const problem = signatureProblem(pk, sig, msg);
      const acc = problem === null;
      if (t.result === 'acceptable') {
        p.info.push(`tcId ${t.tcId} (acceptable, ${t.comment}): ${acc ? 'accepted' : `refused (${problem})`}`);
        p.matched++;
      } else {
        check(p, `tcId ${t.tcId} ${t.comment} [${t.flags}]`, acc === (t.result === 'valid'), `expected ${t.result}, §2 rule ${acc ? 'accepts' : `refuses (${problem})`}`);
      }
      if (opensslAccepts(pk, sig, msg) !== acc) {
        opensslDiff++;
        p.info.push(`tcId ${t.tcId}: Node/OpenSSL verify says ${!acc}, §2 rule says ${acc}`);
      }
    }
  }
  p.info.push(`${n} cases; Node/OpenSSL verify differs from the §2 rule on ${opensslDiff}`);
  if (n !== w.numberOfTests) check(p, 'number of tests', false, `${n} != ${w.numberOfTests}`);
}

// ------------------------------------------------------------------ part 3: admission

function admissionPart(av) {
  const p = part('3. admission vectors');
  const { base, now, cases } = av.admission;
  const door = () => {
    const h = new Holder({ authorityKey: av.authority_key });
    base.forEach((r, i) => {
      const res = h.offer(r, { seen: now, position: null });
      if (res.status !== 'admitted') throw new Error(`base record ${i} not admitted: ${res.reason} (${res.detail})`);
    });
    return h;
  };
  try {
    door();
    check(p, 'base admitted in order', true);
  } catch (e) {
    check(p, 'base admitted in order', false, e.message);
    return;
  }
  for (const c of cases) {
    const h = door();
    let res;
    for (const r of c.records) res = h.offer(r, { seen: now, position: null });
    // §5: the verdict is admitted, held, or refused with a problem name (notices are not part of it)
    const got = { reason: res.status === 'refused' ? res.reason : null, status: res.status };
    check(p, `case ${c.name}`, same(got, c.expect), `expected ${encode(c.expect)}, got ${encode(got)}${res.detail ? ` (${res.detail})` : ''}${c.why ? ` — why: ${c.why}` : ''}`);
    if (res.findings && res.findings.length && res.status !== 'refused') p.info.push(`case ${c.name}: ${res.status} with the finding(s) ${res.findings.join(', ')}`);
  }
}

// ------------------------------------------------------------------ part 4: holders

function holdersPart(av) {
  const p = part('4. holder vectors (replay §5.7, states and totals §6)');
  for (const hv of av.holders) {
    const items = hv.records.map((it) => ('base' in it ? { record: av.admission.base[it.base], seen: it.seen, position: it.position } : { record: it.record, seen: it.seen, position: it.position }));
    const { holder, findings, evidence } = replay(items, { authorityKey: av.authority_key, ownKey: hv.own_key, forks: hv.forks || [] });
    const label = `holder ${hv.name}`;
    for (const { why } of evidence) check(p, `${label}: fork evidence holds (§5.7)`, why === null, `evidence does not hold: ${why}`);
    check(p, `${label}: findings`, same(findings, hv.expect.findings), `expected ${encode(hv.expect.findings)}, got ${encode(findings)}`);
    for (const [h, name] of findings) if (!(name in SEVERITY)) p.info.push(`${label}: finding ${name} of ${h} is not a §5.6 name`);
    const states = allStates(holder);
    check(p, `${label}: states`, same(states, hv.expect.states), `\n   expected ${encode(hv.expect.states)}\n   got      ${encode(states)}`);
    for (const t of hv.expect.totals) {
      const mine = totals(holder, states, t.region, t.contest);
      check(p, `${label}: totals ${t.region} ${t.contest}`, same(mine, t), `expected ${encode(t)}, got ${encode(mine)}`);
      // §6.1: not in the vectors; shown, not checked.
      const d = dhasilState(holder, t.region, t.contest);
      const od = d.counted.length ? dhasilOutdated(holder, states, d.counted[0]) : null;
      const objections = holder.officerEntries().filter((e) => e.env.type === 'objection' && !e.malformed).map((e) => objectionStatus(holder, e.env.hash).state);
      p.info.push(`${label}: §6.1 (unchecked) D.Hasil ${t.region} ${t.contest} ${d.state}${d.final === null ? '' : d.final ? ' final' : ' interim'}${od === null ? '' : od ? ', outdated' : ', up to date'}${d.attention.length ? ` [${d.attention}]` : ''}; objections ${objections.join(', ') || 'none'}`);
    }
  }
}

// ------------------------------------------------------------------ main

const started = Date.now();
for (const run of [envelopePart, wycheproofPart, () => admissionPart(readJSON(path.join(REPO, 'tests/vectors/admission_vectors.json')))]) {
  try {
    run();
  } catch (e) {
    const p = part(`crash in ${run.name || 'admission'}`);
    check(p, 'no crash', false, e.stack);
  }
}
try {
  holdersPart(readJSON(path.join(REPO, 'tests/vectors/admission_vectors.json')));
} catch (e) {
  check(part('crash in holders'), 'no crash', false, e.stack);
}

let bad = 0;
for (const p of parts) {
  bad += p.mismatched;
  console.log(`${p.name}: ${p.matched} matched, ${p.mismatched} mismatched`);
  for (const d of p.details) console.log(`  MISMATCH ${d}`);
  for (const i of p.info) if (VERBOSE || !i.startsWith('tcId')) console.log(`  note: ${i}`);
}
console.log(`${bad === 0 ? 'ALL MATCH' : `${bad} MISMATCH(ES)`} (${Date.now() - started} ms)`);
process.exit(bad === 0 ? 0 : 1);
