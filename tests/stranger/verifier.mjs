#!/usr/bin/env node
// Stranger's verifier for PROTOCOL.md §1–§8, §9.8–§9.9 and §10, and a runner over the published vectors.
// Usage (from the repository root): node tests/stranger/verifier.mjs [--verbose]
// Exit code 0 only when every vector matches.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, encode, canonicalBytes } from './canonical.mjs';
import { signatureProblem, opensslAccepts, publicKeyFromSeed, signWithSeed } from './ed25519.mjs';
import * as log from './log.mjs';
import * as photos from './photos.mjs';
import * as edge from './edge.mjs';
import { requirementsInForce, doubleEntryRequiredAt, boundsFired, warningBoundsOf } from './protocol.mjs';
import { parseEnvelope, signingMessage, sha256hex, keyIdOf, checkOfficer, checkCertificate, checkRevocations, checkElection, checkReceipt, checkCertificateRequest, checkTreeHead, Holder, replay, allStates, totals, allRecaps, allObjections, compareCodePoints, SEVERITY } from './protocol.mjs';

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
  // §5.6: the problem names and severities of the document's table are the verifier's
  const doc0 = fs.readFileSync(path.join(REPO, 'docs/PROTOCOL.md'), 'utf8');
  const tm = doc0.match(/```problems\n([\s\S]*?)```/);
  if (check(p, '§5.6 problems table present', !!tm, 'no ```problems block in PROTOCOL.md')) {
    const table = Object.fromEntries(tm[1].trim().split('\n').map((l) => l.trim().split(/\s+/).slice(0, 2)));
    check(p, '§5.6 problem names and severities', same(table, SEVERITY), `document ${encode(table)}, verifier ${encode(SEVERITY)}`);
  }
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
        const checker = { sheet: officer, review: officer, dhasil: officer, objection: officer, resolution: officer, requirement: officer, certificate: checkCertificate, revocations: checkRevocations, election: checkElection, receipt: checkReceipt, certificate_request: checkCertificateRequest, tree_head: (q) => checkTreeHead(q, env.signer) }[env.type];
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
  p.info.push(`${cases.length} cases, after a base of ${base.length} records`);
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
  const p = part('4. holder vectors (replay §5.7, states and totals §6, D.Hasil and objections §6.1)');
  p.info.push(`${av.holders.length} holders: findings, states, totals, §6.1 D.Hasil and objections of each`);
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
    }
    // §6.1: every region and contest with a D.Hasil held; every objection held
    const recaps = allRecaps(holder, states);
    check(p, `${label}: §6.1 D.Hasil (state, final, in force, outdated, attention)`, same(recaps, hv.expect.recaps), `\n   expected ${encode(hv.expect.recaps)}\n   got      ${encode(recaps)}`);
    const objections = allObjections(holder);
    check(p, `${label}: §6.1 objections (state, decision, rulings in force, attention)`, same(objections, hv.expect.objections), `\n   expected ${encode(hv.expect.objections)}\n   got      ${encode(objections)}`);
  }
}

// ------------------------------------------------------------------ part 5: the log (§10)

const PLACE_MEMBER = { sheet: 'station', review: 'station', dhasil: 'region', objection: 'place', resolution: 'place', certificate: 'jurisdiction' };

function logPart(lv) {
  const p = part('5. log vectors (§10)');
  const election = lv.election;
  // §10.1: the server's certificate, an authority record, under the authority key of the file.
  const sc = log.admitServerCertificate(lv.server_certificate, { authorityKey: lv.authority_key, election });
  check(p, 'server certificate admitted (§10.1, §5.2)', sc.ok, sc.why);
  const certificates = sc.ok ? [sc.cert] : [];
  // §10.2 partitions
  for (const c of lv.partition_of) {
    const payload = { type: c.type };
    if (PLACE_MEMBER[c.type]) payload[PLACE_MEMBER[c.type]] = c.place;
    const mine = log.partitionOf(payload);
    check(p, `partition of a ${c.type} at ${c.place}`, mine === c.partition, `got ${JSON.stringify(mine)}, want ${JSON.stringify(c.partition)}`);
  }
  // §10.5 ranges
  for (const c of lv.ranges) {
    const mine = log.jurisdictionRanges(c.jurisdiction);
    check(p, `ranges of ${c.jurisdiction}`, same(mine, c.ranges), `got ${encode(mine)}, want ${encode(c.ranges)}`);
  }
  // §10.2 entries: leaf bytes and hashes
  lv.entries.forEach((e, i) => {
    check(p, `entry ${i}: index`, e.index === i, `index ${e.index}`);
    const leaf = log.entryLeaf(e).toString('utf8');
    check(p, `entry ${i}: leaf bytes`, leaf === e.leaf, `got ${leaf}`);
    const lh = log.hashLeaf(Buffer.from(e.leaf, 'utf8')).toString('hex');
    check(p, `entry ${i}: leaf hash`, lh === e.leaf_hash, `got ${lh}`);
  });
  // the log's tree, its partitions, the partitions tree
  const built = log.buildLog(lv.entries);
  check(p, 'log size', built.size === lv.log.size, `${built.size}`);
  check(p, 'log root', built.root === lv.log.root, built.root);
  lv.log.roots_by_size.forEach((r, n) => {
    const mine = log.treeRoot(built.leaves.slice(0, n)).toString('hex');
    check(p, `log root at size ${n}`, mine === r, mine);
  });
  check(p, 'partitions (names, in order)', same(built.partitions.map((x) => x.partition), lv.log.partitions.map((x) => x.partition)), encode(built.partitions.map((x) => x.partition)));
  for (const want of lv.log.partitions) {
    const i = built.partitions.findIndex((x) => x.partition === want.partition);
    const mine = built.partitions[i];
    if (!check(p, `partition ${JSON.stringify(want.partition)}`, !!mine, 'absent')) continue;
    check(p, `partition ${JSON.stringify(want.partition)}: size and root`, mine.size === want.size && mine.root === want.root, `${mine.size} ${mine.root}`);
    const sl = built.summaryLeaves[i].toString('hex');
    check(p, `partition ${JSON.stringify(want.partition)}: partitions-tree leaf hash`, sl === want.summary_leaf_hash, sl);
  }
  check(p, 'partitions tree root', built.partitionsRoot === lv.log.partitions_root, built.partitionsRoot);
  check(p, 'partition count', built.partitionCount === lv.log.partition_count, `${built.partitionCount}`);
  // §10.2 heads, §10.6 evidence names
  const heads = {};
  for (const h of lv.heads) {
    const v = log.headVerdict(h.head, { election, certificates });
    heads[h.name] = v;
    check(p, `head ${h.name}`, v.valid === h.valid && v.kind === h.kind, `want ${h.valid ? 'valid' : h.kind}, got ${v.valid ? 'valid' : `${v.kind} (${v.why})`}`);
    if (v.valid) {
      const q = v.env.payload;
      check(p, `head ${h.name}: states this log`, q.size === built.size && q.root === built.root && q.partitions === built.partitionsRoot && q.partition_count === built.partitionCount, encode(q));
    }
  }
  // §10.4 the append check
  const ah = heads[lv.appends.head];
  if (check(p, `appends: head ${lv.appends.head} is valid`, ah && ah.valid, 'not valid')) {
    for (const c of lv.appends.cases) {
      const ok = log.appendHolds(ah.env.payload, c.size_before, c.frontier, c.leaves);
      check(p, `append ${c.name}`, ok === c.valid, `want ${c.valid ? 'holds' : 'fails'}, got ${ok ? 'holds' : 'fails'}`);
      if (c.valid) {
        const f = log.frontierOf(built.leaves.slice(0, c.size_before));
        check(p, `append ${c.name}: the frontier of ${c.size_before} leaves`, same(f, c.frontier), encode(f));
      }
    }
  }
  // §10.5 range proofs
  const rh = heads[lv.range_proofs.head];
  if (check(p, `range proofs: head ${lv.range_proofs.head} is valid`, rh && rh.valid, 'not valid')) {
    for (const c of lv.range_proofs.cases) {
      const r = log.checkRanges(rh.env.payload, c.jurisdiction, c.answer);
      check(p, `range proof ${c.name}`, r.ok === c.valid, `want ${c.valid ? 'holds' : 'fails'}, got ${r.ok ? 'holds' : `fails (${r.why})`}`);
      if (!r.ok && VERBOSE) p.info.push(`range proof ${c.name}: ${r.why}`);
      if (c.valid && r.ok) {
        check(p, `range proof ${c.name}: partitions proven`, same(r.partitions, c.partitions), `got ${encode(r.partitions)}`);
        // then each partition's tree rebuilt from the entries of the ranges (all of them here)
        const ranges = log.jurisdictionRanges(c.jurisdiction);
        const learnt = lv.entries.filter((e) => ranges.some(([a, b]) => compareCodePoints(e.partition, a) >= 0 && compareCodePoints(e.partition, b) < 0));
        const why = log.checkLearnt(rh.env.payload, c.jurisdiction, r.partitions, learnt);
        check(p, `range proof ${c.name}: the entries of its ranges rebuild every partition`, why === null, why);
      }
    }
  }
  return { certificates, heads, built };
}

// §10.3 pairs of heads: both valid, then whether the new one extends the old one.
function extendsPart(lv, { certificates }) {
  const p = part('5b. log vectors: extends (§10.3)');
  p.info.push(`${lv.extends.length} head pairs`);
  for (const c of lv.extends) {
    const old = log.headVerdict(c.old, { election: lv.election, certificates });
    const next = log.headVerdict(c.new, { election: lv.election, certificates });
    if (!check(p, `extends ${c.name}: both heads valid`, old.valid && next.valid, `${old.why || ''} ${next.why || ''}`)) continue;
    const kind = log.extendsVerdict(old.env.payload, next.env.payload, c.proof);
    check(p, `extends ${c.name}`, kind === c.kind, `want ${c.kind ?? 'extends'}, got ${kind ?? 'extends'}`);
  }
}

// §10.4 whole push answers: the receipt, its head, the proofs and the head held before.
function receiptsPart(lv, { certificates }) {
  const p = part('5c. log vectors: receipts (§10.4)');
  p.info.push(`${lv.receipts.cases.length} push answers`);
  const partitions = lv.receipts.partitions_of_what_was_sent;
  for (const c of lv.receipts.cases) {
    let known = null;
    if (c.known) {
      const k = log.headVerdict(c.known, { election: lv.election, certificates });
      if (!check(p, `receipt ${c.name}: the head held before is valid`, k.valid, k.why)) continue;
      known = k.env.payload;
    }
    const v = log.receiptVerdict({ receipt: c.receipt, head: c.head, proofs: c.proofs, known, sent: Object.keys(partitions), election: lv.election, certificates, partitionOfHash: (h) => (Object.hasOwn(partitions, h) ? partitions[h] : null) });
    check(p, `receipt ${c.name}`, v.kind === c.kind, `want ${c.kind ?? 'holds'}, got ${v.kind ?? 'holds'}${v.why ? ` (${v.why})` : ''}`);
    if (VERBOSE && v.why) p.info.push(`receipt ${c.name}: ${v.kind} (${v.why})`);
  }
}

// §10.5 partitions rebuilt from the entries a laptop learnt. The vectors give no range answer
// for these: the partitions the head proves are taken from `log.partitions`, after checking that
// they are exactly what the head's `partitions` root and `partition_count` commit to.
function rebuiltPart(lv, { heads }) {
  const p = part('5d. log vectors: partitions rebuilt (§10.5)');
  p.info.push(`${lv.rebuilt.cases.length} cases`);
  const hv = heads[lv.rebuilt.head];
  if (!check(p, `rebuilt: head ${lv.rebuilt.head} is valid`, hv && hv.valid, 'not valid')) return;
  const head = hv.env.payload;
  const committed = log.treeRoot(lv.log.partitions.map((x) => log.partitionLeafHash(x))).toString('hex');
  if (!check(p, "rebuilt: log.partitions are what the head's partitions root commits to", committed === head.partitions && lv.log.partitions.length === head.partition_count, committed)) return;
  for (const c of lv.rebuilt.cases) {
    const ranges = log.jurisdictionRanges(c.jurisdiction);
    const proven = {};
    for (const x of lv.log.partitions) if (ranges.some(([a, b]) => compareCodePoints(x.partition, a) >= 0 && compareCodePoints(x.partition, b) < 0)) proven[x.partition] = { size: x.size, root: x.root };
    const learnt = Object.entries(c.learnt).flatMap(([partition, list]) => list.map((e) => ({ ...e, partition })));
    const why = log.checkLearnt(head, c.jurisdiction, proven, learnt);
    const kind = why === null ? null : why.split(':')[0];
    check(p, `rebuilt ${c.name}`, kind === c.kind, `want ${c.kind ?? 'holds'}, got ${why ?? 'holds'}`);
    if (VERBOSE && why) p.info.push(`rebuilt ${c.name}: ${why}`);
  }
}

// ------------------------------------------------------------------ part 6: RFC 9162 proofs

function merklePart() {
  const p = part('6. RFC 9162 proofs (Go library vectors, /work/shared/vectors/merkle)');
  const dir = fs.existsSync(path.resolve(REPO, '..', 'shared', 'vectors', 'merkle')) ? path.resolve(REPO, '..', 'shared', 'vectors', 'merkle') : '/work/shared/vectors/merkle';
  if (!fs.existsSync(dir)) {
    p.info.push(`SKIPPED: ${dir} not found`);
    return;
  }
  const b64 = (s) => Buffer.from(s || '', 'base64');
  const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((x) => (x.isDirectory() ? walk(path.join(d, x.name)) : x.name.endsWith('.json') ? [path.join(d, x.name)] : []));
  let n = 0;
  for (const f of walk(dir).sort()) {
    const v = JSON.parse(fs.readFileSync(f, 'utf8'));
    const name = path.relative(dir, f);
    let ok;
    if (name.startsWith('inclusion')) ok = log.verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), (v.proof || []).map(b64), b64(v.root));
    else ok = log.verifyConsistency(v.size1, v.size2, b64(v.root1), b64(v.root2), (v.proof || []).map(b64));
    n++;
    check(p, name, ok === !v.wantErr, `want ${v.wantErr ? 'refused' : 'accepted'} (${v.desc})`);
  }
  p.info.push(`${n} cases`);
}

// ------------------------------------------------------------------ part 7: own cases

// Not vectors: the stranger's own keys and receipts over the 13-entry log of log_vectors.json,
// to exercise §10.3 and the whole of §10.4 (which no vector covers) and RFC 9162 proofs made by
// PATH and PROOF of RFC 9162 §2.1 against the verifiers above.
function ownLogPart(lv) {
  const p = part('7. own §10 cases (stranger keys, not vectors)');
  const built = log.buildLog(lv.entries);
  const L = built.leaves;
  for (let n = 1; n <= L.length; n++) {
    const root = log.treeRoot(L.slice(0, n));
    let ok = true;
    for (let i = 0; i < n; i++) {
      const pr = log.inclusionProof(i, L.slice(0, n));
      ok &&= log.verifyInclusion(i, n, L[i], pr, root);
      if (pr.length) {
        const altered = pr.map((x) => Buffer.from(x));
        altered[0][0] ^= 1;
        ok &&= !log.verifyInclusion(i, n, L[i], altered, root);
      }
      ok &&= !log.verifyInclusion(i, n, L[(i + 1) % n], pr, root) || n === 1;
    }
    for (let m = 1; m <= n; m++) {
      const pr = log.consistencyProof(m, L.slice(0, n));
      ok &&= log.verifyConsistency(m, n, log.treeRoot(L.slice(0, m)), root, pr);
      if (m < n) ok &&= !log.verifyConsistency(m, n, log.treeRoot(L.slice(1, m + 1)), root, pr);
    }
    check(p, `PATH and PROOF at size ${n} verify (and altered ones fail)`, ok, 'a proof made by RFC 9162 §2.1 does not verify, or an altered one does');
  }
  // keys and records of the stranger's own (never trust them)
  const seedA = Buffer.from(sha256hex(Buffer.from('stranger authority')), 'hex');
  const seedS = Buffer.from(sha256hex(Buffer.from('stranger server')), 'hex');
  const pkA = publicKeyFromSeed(seedA).toString('hex');
  const pkS = publicKeyFromSeed(seedS).toString('hex');
  const sign = (seed, payload) => {
    const bytes = canonicalBytes(payload);
    return { payload, signer: keyIdOf(publicKeyFromSeed(seed).toString('hex')), sig: signWithSeed(seed, signingMessage(payload.type, bytes)).toString('hex'), hash: sha256hex(bytes) };
  };
  const election = lv.election;
  const certRecord = sign(seedA, { type: 'certificate', election, officer_id: 'srv', name: 'stranger server', role: 'server', jurisdiction: '', public_key: pkS, key_id: keyIdOf(pkS), valid_from: '2026-01-01T00:00:00Z', valid_until: '2026-12-31T23:59:59Z', issued: '2026-01-01T00:00:00Z' });
  const sc = log.admitServerCertificate(certRecord, { authorityKey: pkA, election });
  check(p, 'own server certificate admitted', sc.ok, sc.why);
  const bad = sign(seedA, { ...certRecord.payload, jurisdiction: '32' });
  check(p, 'a server certificate with a region is malformed (GAP 59)', !log.admitServerCertificate(bad, { authorityKey: pkA, election }).ok, 'admitted');
  const certificates = [sc.cert];
  const headOf = (n, extra = {}) => sign(seedS, { type: 'tree_head', election, server: keyIdOf(pkS), size: n, root: log.treeRoot(L.slice(0, n)).toString('hex'), partitions: log.buildLog(lv.entries.slice(0, n)).partitionsRoot, partition_count: log.buildLog(lv.entries.slice(0, n)).partitionCount, time: '2026-02-14T18:00:00Z', ...extra });
  const H13 = headOf(13);
  const H5x = () => headOf(5);
  const H8 = headOf(8);
  const v13 = log.headVerdict(H13, { election, certificates });
  check(p, 'own head of 13 valid', v13.valid, v13.why);
  check(p, 'own head signed with a key revoked: uncertified_server', log.headVerdict(H13, { election, certificates, revoked: new Set([keyIdOf(pkS)]) }).kind === 'uncertified_server', 'not so');
  const forged = { ...H13, sig: sign(seedA, H13.payload).sig };
  check(p, "own head with another key's signature: bad_head", log.headVerdict(forged, { election, certificates }).kind === 'bad_head', 'not so');
  const named = sign(seedS, { ...H13.payload, server: keyIdOf(pkA) });
  check(p, 'own head naming another server: bad_head', log.headVerdict(named, { election, certificates }).kind === 'bad_head', 'not so');
  // §10.3
  const ext = (a, b, pr) => log.extendsVerdict(a.payload, b.payload, pr);
  check(p, '§10.3 8 -> 13 with PROOF extends', ext(H8, H13, log.consistencyProof(8, L).map((x) => x.toString('hex'))) === null, 'not so');
  check(p, '§10.3 13 -> 13 same root extends', ext(H13, H13, []) === null, 'not so');
  const H13x = sign(seedS, { ...H13.payload, root: log.treeRoot(L.slice(1)).toString('hex') });
  check(p, '§10.3 13 -> 13 other root: forked', ext(H13, H13x, []) === 'forked', 'not so');
  const H8x = sign(seedS, { ...H8.payload, root: log.treeRoot(L.slice(1, 9)).toString('hex') });
  check(p, '§10.3 13 -> 8 signed at the same time: stale (item 1)', ext(H13, H8, []) === 'stale', 'not so');
  const H8later = headOf(8, { time: '2026-02-14T18:00:01Z' });
  check(p, '§10.3 13 -> 8 signed a second later: rolled_back (item 2)', ext(H13, H8later, []) === 'rolled_back', 'not so');
  check(p, '§10.3 13 -> 8 signed earlier: stale', ext(H13, headOf(8, { time: '2026-02-14T17:00:00Z' }), []) === 'stale', 'not so');
  check(p, '§10.3 13 -> 13 other partition_count only: forked (item 3)', ext(H13, sign(seedS, { ...H13.payload, partition_count: H13.payload.partition_count + 1 }), []) === 'forked', 'not so');
  check(p, '§10.3 13 -> 13 signed later, same log: extends', ext(H13, headOf(13, { time: '2026-02-15T00:00:00Z' }), []) === null, 'not so');
  const P8 = log.consistencyProof(8, L).map((x) => x.toString('hex'));
  check(p, '§10.3 8 -> 13 a proof that does not parse: bad_answer (item 5)', ext(H8, H13, ['zz']) === 'bad_answer' && ext(H8, H13, null) === 'bad_answer' && ext(H8, H13, [P8[0].toUpperCase()]) === 'bad_answer', 'not so');
  check(p, '§10.3 8 -> 13 a wrong proof, asked once more and right: extends', log.extendsVerdict(H8.payload, H13.payload, P8.slice(1), P8) === null, 'not so');
  check(p, '§10.3 8 -> 13 a wrong proof twice: inconsistent', log.extendsVerdict(H8.payload, H13.payload, P8.slice(1), P8.slice(1)) === 'inconsistent', 'not so');
  // §10.3 item 1: settled by the heads the server lists at the larger size
  const ctx = { election, certificates };
  const settle = (ref, listed) => log.settleByHeads(ref.payload, listed, ctx).kind;
  const H13y = sign(seedS, { ...H13.payload, partitions: log.treeRoot([]).toString('hex') });
  check(p, '§10.3 stale, the server lists the head held: stale (retried, nothing kept)', settle(H13, [H13]) === 'stale', 'not so');
  check(p, '§10.3 stale, the server lists the head held signed again: stale', settle(H13, [headOf(13, { time: '2026-02-14T17:59:00Z' })]) === 'stale', 'not so');
  check(p, '§10.3 stale, the server lists another head of 13: forked', settle(H13, [H13x]) === 'forked' && settle(H13, [H13y]) === 'forked', 'not so');
  check(p, '§10.3 stale, the server lists the head held and another: forked (GAP 79)', settle(H13, [H13, H13x]) === 'forked', 'not so');
  check(p, '§10.3 stale, the server lists no head of 13: rolled_back', settle(H13, []) === 'rolled_back', 'not so');
  check(p, '§10.3 stale, the server lists a head of another size: bad_answer (broken, retried)', settle(H13, [H8]) === 'bad_answer', 'not so');
  check(p, '§10.3 stale, the server lists a head with a bad signature: bad_head (GAP 80)', settle(H13, [forged]) === 'bad_head', 'not so');
  check(p, '§10.3 404 for the proof 8 -> 13, the server lists 13 as held: stale', settle(H13, [H13]) === 'stale', 'not so');
  // §10.7 gossip
  const gossip = (imported, kept) => log.gossipVerdict(imported, kept.map((h) => log.headVerdict(h, ctx).env), ctx);
  let g = gossip([H13, H8], [H8]);
  check(p, '§10.7 gossip heads that agree are kept', g.kind === null && g.kept.length === 2, JSON.stringify(g.kind));
  g = gossip([H13x], [H8, H13]);
  check(p, '§10.7 gossip head of a size kept with another root: forked at once', g.kind === 'forked' && g.pair[0].hash === H13.hash, JSON.stringify(g.kind));
  g = gossip([H13, H8x], [H8]);
  check(p, '§10.7 gossip: a relied-on head of 8 of another history: forked', g.kind === 'forked', JSON.stringify(g.kind));
  g = gossip([forged, H8], []);
  check(p, '§10.7 gossip head not valid is ignored (GAP 81)', g.kind === null && g.ignored.length === 1 && g.kept.length === 1, JSON.stringify(g));
  check(p, '§10.7 more than 16 gossip heads: refused (GAP 81)', gossip(Array(17).fill(H8), []).kind === 'bad_answer', 'not so');
  // then at the next sync, the gossip head as old and the server's as new
  check(p, '§10.7 gossip 13, server at 8 signed no later: stale, settled by the heads of 13', ext(H13, H8, []) === 'stale' && settle(H13, [H13x]) === 'forked', 'not so');
  check(p, '§10.3 another 8 -> 13: inconsistent', ext(H8x, H13, log.consistencyProof(8, L).map((x) => x.toString('hex'))) === 'inconsistent', 'not so');
  check(p, '§10.3 0 -> 13 needs no proof', ext(headOf(0), H13, null) === null, 'not so');
  // §10.3 and §10.7 together: the heads a laptop keeps
  {
    const hx = (n) => log.consistencyProof(n, L).map((x) => x.toString('hex'));
    const H5 = headOf(5);
    let k = new log.HeadKeeper(ctx);
    let r = [k.offer(H5), k.offer(H8, { proof: log.consistencyProof(5, L.slice(0, 8)).map((x) => x.toString('hex')) }), k.offer(H13, { proof: hx(8) })];
    check(p, '§10.3 keeper: 5, 8, 13 extend; 13 newest, 5 and 8 relied on', r.every((x) => x.kind === null) && k.newest.hash === H13.hash && k.relied.length === 2, encode(r.map((x) => x.kind)));
    r = k.importBundle([H13x]);
    check(p, '§10.7 keeper: a bundle head of 13 with another root: forked, both kept', r.kind === 'forked' && r.kept[0].hash === H13.hash && r.kept[1].hash === H13x.hash, encode(r.kind));
    r = k.importBundle([sign(seedS, { ...H8.payload, partition_count: 9 })]);
    check(p, '§10.7 keeper: a bundle head of 8 unlike the relied-on 8: forked', r.kind === 'forked' && r.kept[0].hash === H8.hash, encode(r.kind));
    k = new log.HeadKeeper(ctx);
    k.offer(H8);
    r = k.importBundle([H13, H5]);
    check(p, '§10.7 keeper: bundle heads 13 and 5 kept as gossip', r.kind === null && k.gossip.length === 2, encode(r.kind));
    r = k.sync(H13, { proofs: { 5: log.consistencyProof(5, L).map((x) => x.toString('hex')), 8: hx(8) } });
    check(p, '§10.7 keeper: the server at 13 extends the gossip 5 and equals the gossip 13: holds', r.kind === null && k.newest.hash === H13.hash && k.gossip.length === 0, encode(r));
    k = new log.HeadKeeper(ctx);
    k.offer(H8);
    k.importBundle([H13]);
    r = k.sync(H8later, { listed: { 13: [] } });
    check(p, '§10.7 keeper: gossip 13, the server answers 8 signed later: rolled_back (gossip and server heads kept)', r.kind === 'rolled_back' && r.kept[0].hash === H13.hash, encode(r.kind));
    k = new log.HeadKeeper(ctx);
    k.offer(H8);
    k.importBundle([H13]);
    r = k.sync(H8, { listed: { 13: [H13] } });
    check(p, '§10.7 keeper: gossip 13, the server behind at 8 but listing that 13: stale, nothing kept', r.kind === 'stale' && r.kept === null, encode(r));
    r = k.sync(H8, { listed: { 13: [H13y] } });
    check(p, '§10.7 keeper: gossip 13, the server lists another 13: forked (gossip and that head)', r.kind === 'forked' && r.kept[0].hash === H13.hash && r.kept[1].hash === H13y.hash, encode(r.kind));
    k = new log.HeadKeeper(ctx);
    k.offer(H8);
    r = k.offer(H13, { notFound: true, listed: { 13: [] } });
    check(p, '§10.3 keeper: a 404 for the proof, no head of 13 listed: rolled_back (GAP 90: old and new kept)', r.kind === 'rolled_back' && r.kept[0].hash === H8.hash && r.kept[1].hash === H13.hash, encode(r.kind));
    r = k.offer(H13, { notFound: true, listed: { 13: [H13] } });
    check(p, '§10.3 keeper: a 404 for the proof, the head of 13 listed: stale (retried)', r.kind === 'stale' && k.newest.hash === H8.hash, encode(r.kind));
    r = k.offer(forged);
    check(p, '§10.3 keeper: an invalid head from the server: bad_head, what was sent kept', r.kind === 'bad_head' && r.kept[0] === forged, encode(r.kind));
  }
  // §10.8 item 4: heads collected from laptops against the whole log
  check(p, '§10.8 the auditor: heads of 0, 5, 8, 13 of this log agree', [headOf(0), H5x(), H8, H13].every((h) => log.auditHead(lv.entries, h.payload) === null), 'not so');
  check(p, '§10.8 the auditor: a head of 13 with another partitions root or count: forked', log.auditHead(lv.entries, H13y.payload) === 'forked' && log.auditHead(lv.entries, { ...H13.payload, partition_count: 6 }) === 'forked' && log.auditHead(lv.entries, H13x.payload) === 'forked', 'not so');
  check(p, '§10.8 the auditor: a head larger than the log: rolled_back (GAP 103)', log.auditHead(lv.entries, { ...H13.payload, size: 14 }) === 'rolled_back', 'not so');
  // §10.1 the handshake: a server certificate in force at the laptop's own clock
  check(p, '§10.1 handshake inside the certificate', log.handshake(certificates, keyIdOf(pkS), '2026-06-01T00:00:00Z') === null, 'refused');
  check(p, '§10.1 handshake after the certificate ended: server_certificate_time (not evidence)', log.handshake(certificates, keyIdOf(pkS), '2027-01-01T00:00:00Z') === 'server_certificate_time', 'not so');
  check(p, '§10.1 handshake before the certificate starts (a laptop clock far off): server_certificate_time', log.handshake(certificates, keyIdOf(pkS), '2025-06-01T00:00:00Z') === 'server_certificate_time', 'not so');
  check(p, '§10.1 handshake with a key no certificate names: uncertified_server', log.handshake(certificates, keyIdOf(pkA), '2026-06-01T00:00:00Z') === 'uncertified_server', 'not so');
  check(p, '§10.1 trusted server keys: certified at any time, not revoked', same(log.trustedServerKeys(certificates), [keyIdOf(pkS)]) && same(log.trustedServerKeys(certificates, new Set([keyIdOf(pkS)])), []), 'not so');
  check(p, '§10.1 handshake with the key revoked: uncertified_server', log.handshake(certificates, keyIdOf(pkS), '2026-06-01T00:00:00Z', new Set([keyIdOf(pkS)])) === 'uncertified_server', 'accepted');
  // §10.4: the laptop pushed entries 10, 11, 12 (stored now) and 3 (held already)
  const E = lv.entries;
  const pushed = new Map([10, 11, 12, 3].map((i) => [E[i].hash, E[i].partition]));
  const receiptOf = (head, changes = {}, seed = seedS) => sign(seed, { type: 'receipt', server: keyIdOf(publicKeyFromSeed(seed).toString('hex')), time: '2026-02-14T18:00:00Z', election, head: head.hash, stored: [10, 11, 12].map((i) => ({ hash: E[i].hash, index: i, received: E[i].received })), held: [{ hash: E[3].hash, index: 3, received: E[3].received }], refused: [], ...changes });
  const proofs = { append: { size: 10, frontier: log.frontierOf(L.slice(0, 10)) }, held: { [E[3].hash]: log.inclusionProof(3, L).map((x) => x.toString('hex')) }, consistency: log.consistencyProof(8, L).map((x) => x.toString('hex')) };
  const rv = (receipt, head, pr, kept = H8, sent = [...pushed.keys()]) => log.receiptVerdict({ receipt, head, proofs: pr, known: kept ? kept.payload : null, sent, election, certificates, partitionOfHash: (h) => pushed.get(h) });
  const is = (v, kind) => v.kind === kind;
  const show = (v) => `${v.kind ?? 'holds'}${v.why ? ` (${v.why})` : ''}`;
  let v;
  check(p, '§10.4 an honest receipt holds', is((v = rv(receiptOf(H13), H13, proofs)), null), show(v));
  check(p, '§10.4 no head held before (known 0)', is((v = rv(receiptOf(H13), H13, { ...proofs, consistency: null }, null)), null), show(v));
  check(p, '§10.4 an invalid head comes first: bad_head', is((v = rv(receiptOf(H8), forged, proofs)), 'bad_head'), show(v));
  check(p, '§10.4 a receipt naming another head: bad_receipt', is((v = rv(receiptOf(H8), H13, proofs)), 'bad_receipt'), show(v));
  check(p, "§10.4 a receipt signed by another key than the server's: bad_answer (broken, retried)", is((v = rv(receiptOf(H13, {}, seedA), H13, proofs)), 'bad_answer'), show(v));
  check(p, '§10.4 a receipt whose signature does not verify: bad_answer', is((v = rv({ ...receiptOf(H13), sig: receiptOf(H8).sig }, H13, proofs)), 'bad_answer'), show(v));
  check(p, '§10.4 a receipt with a member more: bad_answer', is((v = rv(receiptOf(H13, { extra: 1 }), H13, proofs)), 'bad_answer'), show(v));
  const dupSH = receiptOf(H13, { held: [{ hash: E[3].hash, index: 3, received: E[3].received }, { hash: E[10].hash, index: 10, received: E[10].received }] });
  check(p, '§10.4 a hash in stored and held together: bad_answer (before the head is checked)', is((v = rv(dupSH, forged, proofs)), 'bad_answer'), show(v));
  const dupS = receiptOf(H13, { stored: [10, 11, 12, 12].map((i) => ({ hash: E[i].hash, index: i, received: E[i].received })) });
  check(p, '§10.4 a hash twice in stored: bad_answer', is((v = rv(dupS, H13, proofs)), 'bad_answer'), show(v));
  const dupR = receiptOf(H13, { refused: [{ hash: E[3].hash, reason: 'malformed' }] });
  check(p, '§10.4 a held hash refused too: bad_receipt', is((v = rv(dupR, H13, proofs)), 'bad_receipt'), show(v));
  const strange = receiptOf(H13, { refused: [{ hash: E[0].hash, reason: 'malformed' }] });
  check(p, '§10.4 a refused hash this laptop did not send: bad_receipt', is((v = rv(strange, H13, proofs)), 'bad_receipt'), show(v));
  const pushed5 = [...pushed.keys(), E[0].hash];
  pushed.set(E[0].hash, E[0].partition);
  check(p, '§10.4 a fifth record sent and refused by its hash: holds', is((v = rv(receiptOf(H13, { refused: [{ hash: E[0].hash, reason: 'role' }] }), H13, proofs, H8, pushed5)), null), show(v));
  check(p, '§10.4 a fifth record sent and refused by its item (GAP 84): holds', is((v = rv(receiptOf(H13, { refused: [{ item: 4, reason: 'malformed' }] }), H13, proofs, H8, pushed5)), null), show(v));
  check(p, '§10.4 a refused item beyond the batch: bad_receipt', is((v = rv(receiptOf(H13, { refused: [{ item: 5, reason: 'malformed' }] }), H13, proofs, H8, pushed5)), 'bad_receipt'), show(v));
  check(p, '§10.4 a fifth record sent, not listed: bad_receipt', is((v = rv(receiptOf(H13), H13, proofs, H8, pushed5)), 'bad_receipt'), show(v));
  pushed.delete(E[0].hash);
  check(p, '§10.4 a record sent twice in one batch, answered once: holds', is((v = rv(receiptOf(H13), H13, proofs, H8, [...pushed.keys(), E[10].hash])), null), show(v));
  check(p, '§10.4 a consistency proof that does not parse: bad_answer', is((v = rv(receiptOf(H13), H13, { ...proofs, consistency: 'none' })), 'bad_answer'), show(v));
  check(p, '§10.4 a consistency proof given where none is needed is not read', is((v = rv(receiptOf(H13), H13, { ...proofs, consistency: 'none' }, null)), null) && is(rv(receiptOf(H13), H13, { ...proofs, consistency: ['x'] }, H13), null), show(v));
  check(p, '§10.4 a head held before, of the same size, another partitions root: forked', is((v = rv(receiptOf(H13), H13, proofs, H13y)), 'forked'), show(v));
  check(p, "§10.4 a receipt dated after the certificate: uncertified_server (GAP 75)", is((v = rv(receiptOf(H13, { time: '2027-01-01T00:00:00Z' }), H13, proofs)), 'uncertified_server'), show(v));
  check(p, '§10.4 proofs with a member more: bad_receipt', is((v = rv(receiptOf(H13), H13, { ...proofs, extra: [] })), 'bad_receipt'), show(v));
  check(p, '§10.4 append with a member more: bad_receipt', is((v = rv(receiptOf(H13), H13, { ...proofs, append: { ...proofs.append, leaves: [] } })), 'bad_receipt'), show(v));
  const swapped = receiptOf(H13, { stored: [11, 10, 12].map((i) => ({ hash: E[i].hash, index: i, received: E[i].received })) });
  check(p, "§10.4 stored out of the log's order: bad_receipt", is((v = rv(swapped, H13, proofs)), 'bad_receipt'), show(v));
  const lied = receiptOf(H13, { stored: [10, 11, 12].map((i) => ({ hash: E[i].hash, index: i, received: '2026-02-14T18:00:00Z' })) });
  check(p, '§10.4 stored with another received time: bad_receipt', is((v = rv(lied, H13, proofs)), 'bad_receipt'), show(v));
  check(p, '§10.4 a held proof at another index: bad_receipt', is((v = rv(receiptOf(H13), H13, { ...proofs, held: { [E[3].hash]: log.inclusionProof(4, L).map((x) => x.toString('hex')) } })), 'bad_receipt'), show(v));
  check(p, '§10.4 no proof for a held record: bad_receipt', is((v = rv(receiptOf(H13), H13, { ...proofs, held: {} })), 'bad_receipt'), show(v));
  check(p, '§10.4 a head held before that the new one does not extend: inconsistent', is((v = rv(receiptOf(H13), H13, proofs, H8x)), 'inconsistent'), show(v));
  check(p, '§10.4 a head held before that is larger, signed no later: stale (settled by asking)', is((v = rv(receiptOf(H8), H8, { ...proofs, consistency: null }, H13)), 'stale'), show(v));
  check(p, '§10.4 a head held before that is larger, the new one signed later: rolled_back', is((v = rv(receiptOf(H8later), H8later, { ...proofs, consistency: null }, H13)), 'rolled_back'), show(v));
  // §9.9 first contact: POST /v1/push/held, the answer checked as a push whose records are all held
  {
    const heldProofs = (idx) => Object.fromEntries(idx.map((i) => [E[i].hash, log.inclusionProof(i, L).map((x) => x.toString('hex'))]));
    const heldReceipt = (idx) => receiptOf(H13, { stored: [], held: idx.map((i) => ({ hash: E[i].hash, index: i, received: E[i].received })) });
    const asked = [0, 1, 3].map((i) => E[i].hash);
    const partitionOf = (h) => E.find((e) => e.hash === h)?.partition ?? null;
    const hv = (receipt, idx, opts = {}) => log.receiptVerdict({ receipt, head: H13, proofs: { append: { size: 13, frontier: log.frontierOf(L) }, held: heldProofs(idx), consistency: null }, known: H13.payload, sent: asked, election, certificates, partitionOfHash: partitionOf, heldOnly: true, ...opts });
    check(p, '§9.9 push/held: the three asked, all held, proved: holds', is((v = hv(heldReceipt([0, 1, 3]), [0, 1, 3])), null), show(v));
    check(p, '§9.9 push/held: one asked is unknown, in no list: holds', is((v = hv(heldReceipt([0, 3]), [0, 3])), null), show(v));
    check(p, '§9.9 push/held: a hash listed that was not asked: bad_receipt', is((v = hv(heldReceipt([0, 3, 4]), [0, 3, 4])), 'bad_receipt'), show(v));
    check(p, '§9.9 push/held: a held hash without its proof: bad_receipt', is((v = hv(heldReceipt([0, 3]), [0])), 'bad_receipt'), show(v));
    check(p, '§9.9 push/held: a record listed as stored (GAP 105): bad_receipt', is((v = hv(receiptOf(H13, { stored: [{ hash: E[12].hash, index: 12, received: E[12].received }], held: [] }), [], { proofs: { append: { size: 12, frontier: log.frontierOf(L.slice(0, 12)) }, held: {}, consistency: null }, sent: [...asked, E[12].hash] })), 'bad_receipt'), show(v));
    check(p, '§9.9 the same answer as a push (not held-only): the unknown one is not listed: bad_receipt', is((v = hv(heldReceipt([0, 3]), [0, 3], { heldOnly: false })), 'bad_receipt'), show(v));
  }
  // §10.5 after the ranges: one entry left out of what was pulled
  const c = lv.range_proofs.cases.find((x) => x.name === 'honest 32.01');
  if (c) {
    const rh = log.headVerdict(lv.heads.find((h) => h.name === lv.range_proofs.head).head, { election, certificates: [log.admitServerCertificate(lv.server_certificate, { authorityKey: lv.authority_key, election }).cert] });
    const r = log.checkRanges(rh.env.payload, c.jurisdiction, c.answer);
    const ranges = log.jurisdictionRanges(c.jurisdiction);
    const learnt = E.filter((e) => ranges.some(([a, b]) => compareCodePoints(e.partition, a) >= 0 && compareCodePoints(e.partition, b) < 0));
    check(p, '§10.5 an entry of 32.01.02 left out of the pull: withheld', String(log.checkLearnt(rh.env.payload, c.jurisdiction, r.partitions, learnt.filter((e) => e.index !== 7))).startsWith('withheld'), 'not so');
    check(p, '§10.5 an entry of 33.02.01 in a pull for 32.01: misplaced', String(log.checkLearnt(rh.env.payload, c.jurisdiction, r.partitions, [...learnt, E[10]])).startsWith('misplaced'), 'not so');
    // the retry of §10.5: a failure after the last page is pulled once more before it is evidence
    const H = rh.env.payload;
    const good = { head: H, answer: c.answer, learnt };
    const short = { head: H, answer: c.answer, learnt: learnt.filter((e) => e.index !== 7) };
    check(p, '§10.5 a partition short once, whole when pulled again: holds', log.pullVerdict(c.jurisdiction, [short, good]) === null, 'not so');
    check(p, '§10.5 a partition short twice: withheld', log.pullVerdict(c.jurisdiction, [short, short]) === 'withheld', 'not so');
    check(p, '§10.5 a partition short on the first pull: retried, not evidence yet', log.pullVerdict(c.jurisdiction, [short]) === 'retry', 'not so');
    check(p, '§10.5 range proofs that fail twice: withheld', log.pullVerdict(c.jurisdiction, [{ ...good, answer: [] }, { ...good, answer: [] }]) === 'withheld', 'not so');
    // §9.5 pages
    const entry = (i) => ({ index: i, received: E[i].received, record: null });
    check(p, '§9.5 a last page whose next is its head\'s size: holds', log.pageVerdict({ entries: [entry(7), entry(9)], next: H.size, more: false, head: null, partitions: [] }, H, 5) === null, 'not so');
    check(p, '§9.5 a last page whose next is not its head\'s size: bad_answer (retried)', log.pageVerdict({ entries: [entry(7), entry(9)], next: 10, more: false }, H, 5) === 'bad_answer', 'not so');
    check(p, '§9.5 a page with an entry at its head\'s size: misplaced', log.pageVerdict({ entries: [entry(7), { index: H.size }], next: H.size + 1, more: false }, H, 5) === 'misplaced', 'not so');
    check(p, '§9.5 a page before the last: next after its last entry (GAP 86)', log.pageVerdict({ entries: [entry(7)], next: 8, more: true }, H, 5) === null && log.pageVerdict({ entries: [entry(7)], next: 9, more: true }, H, 5) === 'bad_answer', 'not so');
  }
}

// ------------------------------------------------------------------ part 8: own §6.1 cases

// Not vectors: the stranger's own authority (re-signing the admission vectors' package payload)
// and keys, to exercise what of §6.1 the holder vectors do not reach: a `corrected` and an
// `uncounted` D.Hasil, a pending child that now counts, a disputed objection, a signer's later
// ruling, a ruling set aside, a D.Hasil of the level above naming one of two agreeing copies.
// The expectations are the stranger's reading of §6.1, not the program's verdicts.
function ownRecapPart(av) {
  const p = part('8. own §6.1 cases (stranger keys, not vectors)');
  const seed = (n) => Buffer.from(sha256hex(Buffer.from(`stranger ${n}`)), 'hex');
  const pk = (sd) => publicKeyFromSeed(sd).toString('hex');
  const id = (sd) => keyIdOf(pk(sd));
  const sign = (sd, payload) => {
    const bytes = canonicalBytes(payload);
    return { payload, signer: id(sd), sig: signWithSeed(sd, signingMessage(payload.type, bytes)).toString('hex'), hash: sha256hex(bytes) };
  };
  const A = seed('recap authority');
  const pkg = sign(A, av.admission.base[0].payload);
  const election = pkg.payload.election;
  const T = '2026-02-14T10:00:00Z';
  const cert = (sd, role, jurisdiction) => sign(A, { type: 'certificate', election, officer_id: `${role}-${id(sd).slice(0, 8)}`, name: `stranger ${role}`, role, jurisdiction, public_key: pk(sd), key_id: id(sd), valid_from: '2026-01-01T00:00:00Z', valid_until: '2031-12-31T23:59:59Z', issued: '2026-01-01T00:00:00Z' });
  const [O1, O2, W, C1, C2, C3, C4, R] = ['op 32.01.01', 'op 32.01.02', 'witness', 'chair one', 'chair two', 'chair 32.01.02', 'chair 32.01.02 bis', 'chair 32.01'].map(seed);
  const certs = [cert(O1, 'operator', '32.01.01'), cert(O2, 'operator', '32.01.02'), cert(W, 'witness', '32.01.01'), cert(C1, 'chair', '32.01.01'), cert(C2, 'chair', '32.01.01'), cert(C3, 'chair', '32.01.02'), cert(C4, 'chair', '32.01.02'), cert(R, 'chair', '32.01')];
  const revoke = (...sds) => sign(A, { type: 'revocations', election, version: 1, issued: T, revoked: sds.map((sd) => ({ key_id: id(sd), reason: 'test', time: T })) });
  // records are made afresh for each scenario, so that every chain starts at 1
  const make = () => {
    const chains = new Map();
    const rec = (sd, payload) => {
      const c = chains.get(id(sd)) || { seq: 0, prev: null };
      const env = sign(sd, { ...payload, signer: id(sd), seq: c.seq + 1, prev: c.prev, time: T, election });
      chains.set(id(sd), { seq: c.seq + 1, prev: env.hash });
      return env;
    };
    const values = av.admission.base[8].payload.values;
    const stations = (region) => pkg.payload.stations.filter((x) => x.code.startsWith(region + '.') && x.contests.includes('ppwp')).map((x) => x.code).sort();
    const sheet = (sd, station, supersedes = null) => rec(sd, { type: 'sheet', station, contest: 'ppwp', values: supersedes ? { ...values, v_p01: values.v_p01 + 1, v_p02: values.v_p02 - 1 } : values, warnings: [], supersedes, reason: supersedes ? 'salah baca' : null });
    const dhasil = (sd, region, basis, children, objections, { final = false, supersedes = null, all = null } = {}) => {
      const codes = all || (basis === 'sheets' ? stations(region) : pkg.payload.regions.filter((r) => r.parent === region).map((r) => r.code).sort());
      const totals = {};
      for (const env of Object.values(children)) {
        const nums = env.payload.type === 'sheet' ? env.payload.values : env.payload.totals;
        for (const [k, v] of Object.entries(nums)) totals[k] = (totals[k] || 0) + v;
      }
      if (!Object.keys(children).length) for (const k of Object.keys(values)) totals[k] = 0;
      return rec(sd, { type: 'dhasil', region, contest: 'ppwp', basis, totals, children: Object.entries(children).sort(([a], [b]) => (a < b ? -1 : 1)).map(([code, env]) => ({ code, record: env.hash })), pending: codes.filter((c) => !(c in children)).map((code) => ({ code, state: 'not_entered' })), objections: objections.map(([o, r]) => ({ objection: o.hash, resolution: r ? r.hash : null })).sort((a, b) => (a.objection < b.objection ? -1 : 1)), final, supersedes, reason: supersedes ? 'versi baru' : null });
    };
    const objection = (sd, place) => rec(sd, { type: 'objection', place, contest: 'ppwp', kind: 'objection', witness: { name: 'Saksi', represents: 'Paslon 01' }, paper: null, subject: 'angka tidak cocok' });
    const ruling = (sd, o, decision, overrides = []) => rec(sd, { type: 'resolution', objection: o.hash, place: o.payload.place, contest: 'ppwp', decision, reason: 'diputuskan di pleno', overrides });
    return { rec, sheet, dhasil, objection, ruling, stations };
  };
  const run = (name, records, expect, findingNames = []) => {
    const items = [pkg, ...certs, ...records].map((record) => ({ record, seen: '2026-02-15T00:00:00Z', position: null }));
    const { holder, findings } = replay(items, { authorityKey: pk(A) });
    if (!check(p, `${name}: findings ${findingNames.join(', ') || 'none'}`, same(findings.map(([, n]) => n), findingNames), encode(findings))) return;
    const states = allStates(holder);
    const recaps = Object.fromEntries(allRecaps(holder, states).map((r) => [r.region, r]));
    const objections = allObjections(holder);
    check(p, name, expect(recaps, objections), `recaps ${encode(recaps)} objections ${encode(objections)}`);
  };
  // the base scenario: two sheets, an objection ruled, an interim D.Hasil naming all of it
  const scenario = () => {
    const m = make();
    const s1 = m.sheet(O1, '32.01.01.2001.001');
    const s2 = m.sheet(O1, '32.01.01.2001.002');
    const o = m.objection(W, '32.01.01.2001.001');
    const r1 = m.ruling(C1, o, 'rejected');
    const d1 = m.dhasil(C1, '32.01.01', 'sheets', { '32.01.01.2001.001': s1, '32.01.01.2001.002': s2 }, [[o, r1]]);
    return { m, s1, s2, o, r1, d1, records: [s1, s2, o, r1, d1] };
  };
  let x = scenario();
  run('an interim D.Hasil naming everything: signed, up to date', x.records, (rc, ob) => rc['32.01.01'].state === 'signed' && rc['32.01.01'].final === false && same(rc['32.01.01'].in_force, [x.d1.hash]) && rc['32.01.01'].outdated.length === 0 && ob[0].state === 'ruled' && ob[0].decision === 'rejected');
  x = scenario();
  const d2 = x.m.dhasil(C1, '32.01.01', 'sheets', { '32.01.01.2001.001': x.s1, '32.01.01.2001.002': x.s2 }, [[x.o, x.r1]], { supersedes: x.d1.hash });
  run('a new version superseding the first: corrected, only it in force', [...x.records, d2], (rc) => rc['32.01.01'].state === 'corrected' && same(rc['32.01.01'].in_force, [d2.hash]) && rc['32.01.01'].outdated.length === 0);
  x = scenario();
  run('a pending station that now counts: outdated', [...x.records, x.m.sheet(O1, '32.01.01.2001.003')], (rc) => same(rc['32.01.01'].outdated, [x.d1.hash]));
  x = scenario();
  const r2 = x.m.ruling(C2, x.o, 'accepted');
  run('a second chair rules without seeing the first: objection disputed, D.Hasil outdated', [...x.records, r2], (rc, ob) => ob[0].state === 'disputed' && ob[0].decision === null && same(ob[0].rulings, [x.r1.hash, r2.hash].sort()) && same(rc['32.01.01'].outdated, [x.d1.hash]));
  x = scenario();
  const r3 = x.m.ruling(C1, x.o, 'accepted');
  run("the same chair's later ruling replaces its earlier one: ruled, D.Hasil outdated", [...x.records, r3], (rc, ob) => ob[0].state === 'ruled' && ob[0].decision === 'accepted' && same(ob[0].rulings, [r3.hash]) && same(rc['32.01.01'].outdated, [x.d1.hash]));
  x = scenario();
  const r4 = x.m.ruling(C2, x.o, 'accepted');
  run('a ruling by a revoked key: set aside, listed; the objection stays ruled', [revoke(C2), ...x.records, r4], (rc, ob) => ob[0].state === 'ruled' && ob[0].decision === 'rejected' && same(ob[0].attention, ['revoked']) && rc['32.01.01'].outdated.length === 0, ['revoked']);
  x = scenario();
  run("the only chair's key revoked: uncounted, the objection open", [revoke(C1), ...x.records], (rc, ob) => rc['32.01.01'].state === 'uncounted' && rc['32.01.01'].final === null && rc['32.01.01'].in_force.length === 0 && same(rc['32.01.01'].attention, ['revoked']) && ob[0].state === 'open' && same(ob[0].attention, ['revoked']), ['revoked', 'revoked']);
  // the level above: 32.01.02 closed by two chairs who agree; the regency names one of them
  x = scenario();
  const sheets2 = Object.fromEntries(x.m.stations('32.01.02').map((code) => [code, x.m.sheet(O2, code)]));
  const f3 = x.m.dhasil(C3, '32.01.02', 'sheets', sheets2, [], { final: true });
  const f4 = x.m.dhasil(C4, '32.01.02', 'sheets', sheets2, [], { final: true });
  const reg = x.m.dhasil(R, '32.01', 'recaps', { '32.01.02': f3 }, [[x.o, x.r1]]);
  run('a regency naming one of two agreeing final D.Hasil: both in force, the regency up to date', [...x.records, ...Object.values(sheets2), f3, f4, reg], (rc) => same(rc['32.01.02'].in_force, [f3.hash, f4.hash].sort()) && rc['32.01.02'].final === true && rc['32.01'].state === 'signed' && rc['32.01'].outdated.length === 0);
}


// ------------------------------------------------------------------ part 9: own warning bounds and requirements

// Not vectors: the stranger's own authority re-signing the admission vectors' package (with its
// form's warning bounds changed), its own operators and supervisors, to exercise §4's bounds,
// §5.3 item 7 (`unacknowledged_warning`) and the requirement record (§4, §5.3 item 6, §5.4, §6.3)
// beyond the vectors. The expectations are the stranger's reading, not the program's verdicts.
function ownWarningsPart(av) {
  const p = part('9. own warning bound and requirement cases (stranger keys, not vectors)');
  const seed = (n) => Buffer.from(sha256hex(Buffer.from(`stranger ${n}`)), 'hex');
  const pk = (sd) => publicKeyFromSeed(sd).toString('hex');
  const id = (sd) => keyIdOf(pk(sd));
  const sign = (sd, payload) => {
    const bytes = canonicalBytes(payload);
    return { payload, signer: id(sd), sig: signWithSeed(sd, signingMessage(payload.type, bytes)).toString('hex'), hash: sha256hex(bytes) };
  };
  const A = seed('warnings authority');
  const T = '2026-02-14T10:00:00Z';
  const base = av.admission.base[0].payload;
  const election = base.election;
  const withBounds = (warnings) => {
    const q = JSON.parse(JSON.stringify(base));
    if (warnings !== undefined) for (const c of q.contests) c.form.warnings = typeof warnings === 'function' ? warnings(c.form) : warnings;
    return sign(A, q);
  };
  const cert = (sd, role, jurisdiction) => sign(A, { type: 'certificate', election, officer_id: `${role}-${id(sd).slice(0, 8)}`, name: `stranger ${role}`, role, jurisdiction, public_key: pk(sd), key_id: id(sd), valid_from: '2026-01-01T00:00:00Z', valid_until: '2031-12-31T23:59:59Z', issued: '2026-01-01T00:00:00Z' });
  const [O, O2, S, S2, S3] = ['w op', 'w op two', 'w sup 32.01.01', 'w sup 32.01', 'w sup 32.01.02'].map(seed);
  const certs = [cert(O, 'operator', '32.01.01'), cert(O2, 'operator', '32.01.01'), cert(S, 'supervisor', '32.01.01'), cert(S2, 'supervisor', '32.01'), cert(S3, 'supervisor', '32.01.02')];
  const values = av.admission.base[8].payload.values; // an honest sheet of the vectors
  const chains = new Map();
  const rec = (sd, payload) => {
    const c = chains.get(id(sd)) || { seq: 0, prev: null };
    const env = sign(sd, { ...payload, signer: id(sd), seq: c.seq + 1, prev: c.prev, time: T, election });
    chains.set(id(sd), { seq: c.seq + 1, prev: env.hash });
    return env;
  };
  const sheet = (sd, station, vals, extra = {}) => rec(sd, { type: 'sheet', station, contest: 'ppwp', values: vals, warnings: [], supersedes: null, reason: null, ...extra });
  const requirement = (sd, region, double_entry = true) => rec(sd, { type: 'requirement', region, double_entry });
  const door = (pkg, records) => {
    chains.clear();
    const h = new Holder({ authorityKey: pk(A) });
    for (const r of [pkg, ...certs]) {
      const res = h.offer(r, { seen: T, position: null });
      if (res.status !== 'admitted') return { h, res, base: true };
    }
    let res = null;
    for (const r of typeof records === 'function' ? records() : records) res = h.offer(r, { seen: T, position: null });
    return { h, res };
  };
  const verdict = (x) => (x.base ? `base refused: ${x.res.reason} (${x.res.detail})` : x.res.status === 'refused' ? x.res.reason : x.res.status);
  const expect = (name, pkg, records, want) => {
    const x = door(pkg, records);
    check(p, name, verdict(x) === want, `want ${want}, got ${verdict(x)}${x.res && x.res.detail ? ` (${x.res.detail})` : ''}`);
    return x;
  };
  const st = '32.01.01.2001.001';
  const registered = base.stations.find((x) => x.code === st).registered;
  const dflt = withBounds(undefined);
  // the defaults (§4: a form without `warnings`)
  const bounds = warningBoundsOf(base.contests[0].form);
  check(p, 'the defaults of a form without warnings (2024 field ids)', same(bounds, { turnout: { field: 'voted_total', max_percent: 100 }, invalid_share: { field: 'invalid', of: 'total', max_percent: 10 }, all_zero: true, village: { field: 'voted_total', k: 6, floor_permille: 200, min_stations: 4 } }), encode(bounds));
  check(p, 'the honest sheet of the vectors fires no bound', boundsFired(bounds, values, registered).length === 0, encode(boundsFired(bounds, values, registered)));
  // turnout: 100 · voted_total > 100 · registered. Raise voted_total and its parts past registered.
  const over = { ...values, dpt_voted: values.dpt_voted + (registered - values.voted_total) + 1, voted_total: registered + 1, dpt: Math.max(values.dpt, values.dpt_voted + (registered - values.voted_total) + 1) };
  check(p, 'bound:turnout fires one voter above the registered (integers)', boundsFired(bounds, over, registered).includes('bound:turnout') && !boundsFired(bounds, { ...over, voted_total: registered }, registered).includes('bound:turnout'), encode(boundsFired(bounds, over, registered)));
  check(p, 'bound:invalid_share at exactly 10 % does not fire, above it does', !boundsFired(bounds, { ...values, invalid: 10, total: 100 }, registered).includes('bound:invalid_share') && boundsFired(bounds, { ...values, invalid: 11, total: 100 }, registered).includes('bound:invalid_share'), 'not so');
  const zeros = Object.fromEntries(Object.keys(values).map((k) => [k, 0]));
  check(p, 'bound:all_zero needs registered > 0', boundsFired(bounds, zeros, 1).includes('bound:all_zero') && !boundsFired(bounds, zeros, 0).includes('bound:all_zero'), 'not so');
  check(p, 'bound:village is never checked by a verifier', !boundsFired(bounds, zeros, 1).includes('bound:village'), 'fired');
  // at the door
  expect('an all-zero sheet with the bound listed and a reason: admitted', dflt, () => [sheet(O, st, zeros, { warnings: ['bound:all_zero'], warnings_reason: 'TPS tidak dibuka' })], 'admitted');
  expect('an all-zero sheet listing the bound without a reason: unacknowledged_warning', dflt, () => [sheet(O, st, zeros, { warnings: ['bound:all_zero'] })], 'unacknowledged_warning');
  expect('a reason and an unrelated bound listed: unacknowledged_warning', dflt, () => [sheet(O, st, zeros, { warnings: ['bound:turnout'], warnings_reason: 'x' })], 'unacknowledged_warning');
  expect('bound:village listed, a reason given, nothing fires: admitted (the rest is not checked)', dflt, () => [sheet(O, st, values, { warnings: ['bound:village', 'anything'], warnings_reason: 'dicek' })], 'admitted');
  expect('a warnings_reason with nothing fired: admitted (not checked)', dflt, () => [sheet(O, st, values, { warnings_reason: 'just in case' })], 'admitted');
  expect('an error rule broken comes before a bound: breaks_rule', dflt, () => [sheet(O, st, { ...zeros, voted_total: 1 })], 'breaks_rule');
  expect('a bad value comes before a bound: bad_values', dflt, () => [sheet(O, st, { ...zeros, voted_total: -1 })], 'bad_values');
  const off = withBounds({ turnout: null, invalid_share: null, all_zero: false, village: null });
  expect('bounds off in the package: an all-zero sheet without a reason is admitted', off, () => [sheet(O, st, zeros)], 'admitted');
  const strict = withBounds({ turnout: { field: 'voted_total', max_percent: 50 }, invalid_share: { field: 'invalid', of: 'valid', max_percent: 1 }, all_zero: false, village: { field: 'voted_total', k: 1, floor_permille: 0, min_stations: 1 } });
  const fired = boundsFired(strict.payload.contests[0].form.warnings, values, registered);
  check(p, "a package's own bounds: turnout over 50 % and invalid over 1 % of valid fire", same(fired, ['bound:turnout', 'bound:invalid_share']), encode(fired));
  expect('under those bounds, the honest sheet without a reason: unacknowledged_warning', strict, () => [sheet(O, st, values)], 'unacknowledged_warning');
  expect('under those bounds, the honest sheet listing both with a reason: admitted', strict, () => [sheet(O, st, values, { warnings: ['bound:invalid_share', 'bound:turnout'], warnings_reason: 'pemilih banyak' })], 'admitted');
  // the package's shape
  for (const [name, w] of [
    ['lack a member', { turnout: null, invalid_share: null, all_zero: true }],
    ['have a member more', { turnout: null, invalid_share: null, all_zero: true, village: null, median: null }],
    ['name a field not on the form', { turnout: { field: 'voters', max_percent: 100 }, invalid_share: null, all_zero: true, village: null }],
    ['have max_percent 1001', { turnout: { field: 'voted_total', max_percent: 1001 }, invalid_share: null, all_zero: true, village: null }],
    ['have k 0', { turnout: null, invalid_share: null, all_zero: true, village: { field: 'voted_total', k: 0, floor_permille: 200, min_stations: 4 } }],
    ['have min_stations 1001', { turnout: null, invalid_share: null, all_zero: true, village: { field: 'voted_total', k: 6, floor_permille: 200, min_stations: 1001 } }],
    ['have all_zero 1', { turnout: null, invalid_share: null, all_zero: 1, village: null }],
    ['have all_zero null (GAP 93 settled)', { turnout: null, invalid_share: null, all_zero: null, village: null }],
    ['have a boolean for a number', { turnout: { field: 'voted_total', max_percent: true }, invalid_share: null, all_zero: true, village: null }],
    ['have invalid_share without of', { turnout: null, invalid_share: { field: 'invalid', max_percent: 10 }, all_zero: true, village: null }],
  ]) {
    const x = door(withBounds(w), []);
    check(p, `a package whose bounds ${name}: malformed`, x.base && x.res.reason === 'malformed', x.base ? `${x.res.reason} (${x.res.detail})` : 'admitted');
  }
  // double_entry on a sheet
  expect('double_entry {second: null} (typed twice by the signer): admitted', dflt, () => [sheet(O, st, values, { double_entry: { second: null } })], 'admitted');
  expect('double_entry naming the second operator: admitted', dflt, () => [sheet(O, st, values, { double_entry: { second: id(O2) } })], 'admitted');
  expect('double_entry naming a key no certificate gives: admitted (a claim, not checked)', dflt, () => [sheet(O, st, values, { double_entry: { second: id(A) } })], 'admitted');
  expect('double_entry with a member more: malformed', dflt, () => [sheet(O, st, values, { double_entry: { second: null, third: null } })], 'malformed');
  expect('double_entry true: malformed', dflt, () => [sheet(O, st, values, { double_entry: true })], 'malformed');
  expect('warnings_reason null: malformed', dflt, () => [sheet(O, st, values, { warnings_reason: null })], 'malformed');
  // photos (§4): only the list's shape is checked
  const ph = (i, extra = {}) => ({ bytes: 1000 + i, sha256: i.toString(16).padStart(2, '0').repeat(32), type: i % 2 ? 'image/png' : 'image/jpeg', ...extra });
  const photoCase = (name, list, want) => expect(`photos ${name}: ${want}`, dflt, () => [sheet(O, st, values, { photos: list })], want);
  photoCase('twelve in order', Array.from({ length: 12 }, (_, i) => ph(i + 1)), 'admitted');
  photoCase('thirteen', Array.from({ length: 13 }, (_, i) => ph(i + 1)), 'malformed');
  photoCase('an empty list (GAP 100)', [], 'admitted');
  photoCase('one twice', [ph(1), ph(1)], 'malformed');
  photoCase('of 0 bytes', [ph(1, { bytes: 0 })], 'malformed');
  photoCase('of exactly 10,485,760 bytes', [ph(1, { bytes: 10485760 })], 'admitted');
  photoCase('with bytes true', [ph(1, { bytes: true })], 'malformed');
  photoCase('with an uppercase sha256', [ph(1, { sha256: 'AB'.repeat(32) })], 'malformed');
  photoCase('with a type member missing', [{ bytes: 10, sha256: 'ab'.repeat(32) }], 'malformed');
  photoCase('image/jpg', [ph(2, { type: 'image/jpg' })], 'malformed');
  photoCase('not a list', { a: ph(1) }, 'malformed');
  photoCase('null', null, 'malformed');
  // requirements (§4, §5.3 item 6, §5.4, §6.3)
  expect('a requirement of a station: admitted', dflt, () => [requirement(S, st)], 'admitted');
  expect("a regency's supervisor requiring it in a district: admitted", dflt, () => [requirement(S2, '32.01.01')], 'admitted');
  expect("a district's supervisor requiring it in its regency: jurisdiction", dflt, () => [requirement(S, '32.01')], 'jurisdiction');
  expect('a requirement with a contest: malformed', dflt, () => [rec(S, { type: 'requirement', region: '32.01.01', double_entry: true, contest: 'ppwp' })], 'malformed');
  expect('a requirement of an empty region: malformed', dflt, () => [requirement(S, '')], 'malformed');
  expect('a requirement lifted (false): admitted', dflt, () => [requirement(S, '32.01.01'), requirement(S, '32.01.01', false)], 'admitted');
  expect('a sheet typed once where double entry is required: admitted (a rule of the laptop, §6.3)', dflt, () => [requirement(S, '32.01.01'), sheet(O, st, values)], 'admitted');
  const inForce = (records) => {
    const x = door(dflt, records);
    return x.h;
  };
  let h = inForce(() => [requirement(S, '32.01.01')]);
  check(p, '§6.3 required at a station inside the region', same(doubleEntryRequiredAt(h, st), ['32.01.01']) && same(doubleEntryRequiredAt(h, '32.01.02.2001.001'), []), encode(doubleEntryRequiredAt(h, st)));
  h = inForce(() => [requirement(S, '32.01.01'), requirement(S, '32.01.01', false)]);
  check(p, "§6.3 lifted by the signer's later requirement", same(doubleEntryRequiredAt(h, st), []) && requirementsInForce(h).length === 1, encode(doubleEntryRequiredAt(h, st)));
  h = inForce(() => [requirement(S2, '32.01.01'), requirement(S, '32.01.01', false)]);
  check(p, "§6.3 another supervisor's false does not lift it", same(doubleEntryRequiredAt(h, st), ['32.01.01']), encode(doubleEntryRequiredAt(h, st)));
  h = inForce(() => [requirement(S, '32.01.01.2001'), requirement(S, '32.01.01', false)]);
  check(p, '§6.3 a false for the district does not lift one for a village inside it (same region only)', same(doubleEntryRequiredAt(h, st), ['32.01.01.2001']), encode(doubleEntryRequiredAt(h, st)));
  h = inForce(() => [requirement(S, '32.01.01.200')]);
  check(p, '§6.3 "containing" is by code groups, not by prefix', same(doubleEntryRequiredAt(h, st), []), encode(doubleEntryRequiredAt(h, st)));
  // in a replay: a revoked supervisor's requirement is not in force
  const revoke = sign(A, { type: 'revocations', election, version: 1, issued: T, revoked: [{ key_id: id(S), reason: 'test', time: T }] });
  chains.clear();
  const req = requirement(S, '32.01.01');
  const { holder } = replay([dflt, ...certs, revoke, req].map((record) => ({ record, seen: '2026-02-15T00:00:00Z', position: null })), { authorityKey: pk(A) });
  check(p, "§6.3 a revoked supervisor's requirement is not in force (replay)", same(doubleEntryRequiredAt(holder, st), []), encode(doubleEntryRequiredAt(holder, st)));
  // the partition of a requirement (§10.2): its region's first three groups
  check(p, "§10.2 a requirement's partition is its region's district", log.partitionOf(req.payload) === '32.01.01' && log.partitionOf({ ...req.payload, region: '32.01' }) === '32.01', 'not so');
}


// ------------------------------------------------------------------ part 10: own §9.8 cases

// Not vectors: images of the stranger's own making, a holder's photo states and the server's
// answers to a resumable upload (§9.8), as the stranger reads them.
function ownPhotosPart() {
  const p = part('10. own §9.8 photo cases (not vectors)');
  const sha = (b) => sha256hex(b);
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(3 * 1024 * 1024 + 17, 7)]);
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('not really a png')]);
  const J = { bytes: jpeg.length, sha256: sha(jpeg), type: 'image/jpeg' };
  const P = { bytes: png.length, sha256: sha(png), type: 'image/png' };
  check(p, 'what an image is: the PNG signature, FF D8 FF', photos.imageType(png) === 'image/png' && photos.imageType(jpeg) === 'image/jpeg' && photos.imageType(Buffer.from('GIF89a')) === null && photos.imageType(Buffer.alloc(0)) === null, 'not so');
  check(p, 'a photo kept, missing, altered', photos.photoState(J, jpeg) === 'kept' && photos.photoState(J, null) === 'missing' && photos.photoState(J, Buffer.concat([jpeg, Buffer.from([0])])) === 'altered' && photos.photoState(P, png) === 'kept', 'not so');
  const asJpeg = { ...P, type: 'image/jpeg' };
  check(p, 'the right bytes under a sheet naming another type: altered (first bytes)', photos.photoState(asJpeg, png) === 'altered', 'not so');
  check(p, 'down: only exactly the photo named is kept', photos.acceptDownload(J, jpeg) && !photos.acceptDownload(J, png) && !photos.acceptDownload(J, jpeg.subarray(0, 100)), 'not so');
  // up
  const sheetHash = 'cd'.repeat(32);
  const server = { sheets: new Map([[sheetHash, { type: 'sheet', photos: [J, P].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1)) }], ['ef'.repeat(32), { type: 'review' }]]), store: new Map() };
  let m = photos.missingPhotos(server, [sheetHash, 'ef'.repeat(32), '00'.repeat(32)]);
  check(p, 'missing: both photos of the held sheet, none for a review or a sheet not held', m.status === 200 && m.photos.length === 2 && m.photos.every((x) => x.sheet === sheetHash && x.received === 0), encode(m));
  const put = (h, off, chunk, sheetH = sheetHash) => photos.putChunk(server, h, sheetH, off, chunk);
  const MiB = 1024 * 1024;
  check(p, 'PUT 400: an empty chunk; a hash not hex', put(J.sha256, 0, Buffer.alloc(0)).status === 400 && put('XY', 0, jpeg.subarray(0, 10)).status === 400, 'not so');
  check(p, 'PUT 404: a sheet not held; a photo the sheet does not name', put(J.sha256, 0, jpeg.subarray(0, MiB), 'aa'.repeat(32)).status === 404 && put('11'.repeat(32), 0, jpeg.subarray(0, MiB)).status === 404, 'not so');
  check(p, 'PUT 415: a first chunk that does not begin as image/jpeg', put(J.sha256, 0, png).status === 415, 'not so');
  check(p, 'PUT 413: a chunk over 2 MiB', put(J.sha256, 0, jpeg.subarray(0, 2 * MiB + 1)).status === 413, 'not so');
  let r = put(J.sha256, 0, jpeg.subarray(0, MiB));
  check(p, 'PUT a first chunk of 1 MiB: kept, not complete', r.status === 200 && r.received === MiB && !r.complete, encode(r));
  check(p, 'PUT 409: a chunk at another offset (the answer says how many)', put(J.sha256, 0, jpeg.subarray(0, MiB)).status === 409 && put(J.sha256, 0, jpeg.subarray(0, MiB)).received === MiB, 'not so');
  m = photos.missingPhotos(server, [sheetHash]);
  check(p, 'missing: an interrupted upload says the bytes received', m.photos.find((x) => x.sha256 === J.sha256).received === MiB, encode(m));
  check(p, 'PUT 413: past the bytes the sheet names', put(J.sha256, MiB, Buffer.concat([jpeg.subarray(MiB, 3 * MiB), Buffer.alloc(0)])).status === 200 && put(J.sha256, 3 * MiB, Buffer.alloc(jpeg.length - 3 * MiB + 1, 7)).status === 413, 'not so');
  r = put(J.sha256, 3 * MiB, jpeg.subarray(3 * MiB));
  check(p, 'PUT the last chunk: complete', r.status === 200 && r.complete && r.received === jpeg.length, encode(r));
  r = put(J.sha256, 0, jpeg.subarray(0, 10));
  check(p, 'PUT a photo held whole: complete at once', r.status === 200 && r.complete, encode(r));
  const bad = Buffer.from(png);
  bad[bad.length - 1] ^= 1;
  r = put(P.sha256, 0, bad);
  check(p, 'PUT 422: whole, but another SHA-256: dropped, start again from 0', r.status === 422 && r.received === 0 && !server.store.has(P.sha256), encode(r));
  r = put(P.sha256, 0, png.subarray(0, 4));
  check(p, 'PUT a first chunk shorter than the PNG signature, a prefix of it (GAP 101 settled): 415', r.status === 415 && r.received === 0, encode(r));
  check(p, 'PUT an empty chunk at another offset: 409 before 400 (GAP 101 settled)', put(P.sha256, 5, Buffer.alloc(0)).status === 409, 'not so');
  m = photos.missingPhotos(server, [sheetHash]);
  check(p, 'missing: a photo held whole is not listed', m.photos.length === 1 && m.photos[0].sha256 === P.sha256, encode(m));
}


// ------------------------------------------------------------------ part 11: own §9.9 push token cases

function ownTokenPart() {
  const p = part('11. own §9.9 push token cases (stranger keys, not vectors)');
  const seed = (n) => Buffer.from(sha256hex(Buffer.from(`stranger ${n}`)), 'hex');
  const K = seed('token officer');
  const X = seed('token stranger');
  const pkK = publicKeyFromSeed(K).toString('hex');
  const kid = keyIdOf(pkK);
  const cert = { type: 'certificate', election: 'e', officer_id: 'o', name: 'n', role: 'operator', jurisdiction: '32.01.01', public_key: pkK, key_id: kid, valid_from: '2026-01-01T00:00:00Z', valid_until: '2026-12-31T23:59:59Z', issued: '2026-01-01T00:00:00Z' };
  const ctx = { certificates: [cert], now: '2026-02-14T10:00:00Z' };
  const tok = (payload, sd = K) => edge.makeToken(payload, (msg) => signWithSeed(sd, msg));
  const P0 = { type: 'push_token', key_id: kid, issued: '2026-02-01T00:00:00Z', expires: '2026-03-03T00:00:00Z' };
  const is = (header, want, c = ctx) => {
    const v = edge.tokenVerdict(header, c);
    return [v.verdict === want, `want ${want}, got ${v.verdict}${v.why ? ` (${v.why})` : ''}`];
  };
  const t = (name, header, want, c) => check(p, `§9.9 token ${name}: ${want}`, ...is(header, want, c));
  t('honest, 30 days', tok(P0), 'accepted');
  t('absent', undefined, 'anonymous');
  t('of a key with no certificate', tok({ ...P0, key_id: keyIdOf(publicKeyFromSeed(X).toString('hex')) }, X), 'anonymous');
  t('of a revoked key', tok(P0), 'anonymous', { ...ctx, revoked: new Set([kid]) });
  t('whose certificate is not in force now (GAP 104 settled)', tok({ ...P0, issued: '2027-01-01T00:00:00Z', expires: '2027-01-31T00:00:00Z' }), 'anonymous', { ...ctx, now: '2027-01-02T00:00:00Z' });
  t('of a revoked key, expired more than a day ago (times first)', tok(P0), 401, { ...ctx, revoked: new Set([kid]), now: '2026-03-04T00:00:01Z' });
  t('whose certificate is not in force now, signed by another key', tok({ ...P0, issued: '2027-01-01T00:00:00Z', expires: '2027-01-31T00:00:00Z' }, X), 'anonymous', { ...ctx, now: '2027-01-02T00:00:00Z' });
  t('signed by another key', tok(P0, X), 401);
  t('signed without the domain (the payload alone)', `${canonicalBytes(P0).toString('base64url')}.${signWithSeed(K, canonicalBytes(P0)).toString('hex')}`, 401);
  t('of exactly 60 days', tok({ ...P0, expires: '2026-04-02T00:00:00Z' }), 'accepted');
  t('of 60 days and a second', tok({ ...P0, expires: '2026-04-02T00:00:01Z' }), 401);
  t('expires = issued', tok({ ...P0, expires: P0.issued }), 401);
  t('expired less than a day ago', tok(P0), 'accepted', { ...ctx, now: '2026-03-03T23:59:59Z' });
  t('expired more than a day ago', tok(P0), 401, { ...ctx, now: '2026-03-04T00:00:01Z' });
  t('issued in the future (not compared with the clock)', tok({ ...P0, issued: '2026-02-20T00:00:00Z' }), 'accepted');
  t('with a member more', tok({ ...P0, role: 'operator' }), 401);
  t('of another type', tok({ ...P0, type: 'push' }), 401);
  const [b, sg] = tok(P0).split('.');
  t('with padding', `${b}==.${sg}`, 401);
  t('with an uppercase signature', `${b}.${sg.toUpperCase()}`, 401);
  t('with two dots', `${b}.${sg}.x`, 401);
  const pretty = Buffer.from(JSON.stringify(P0, null, 1)).toString('base64url');
  t('whose payload is not canonical', `${pretty}.${signWithSeed(K, Buffer.concat([Buffer.from(edge.TOKEN_DOMAIN), Buffer.from(JSON.stringify(P0, null, 1))])).toString('hex')}`, 401);
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

try {
  const lv = readJSON(path.join(REPO, 'tests/vectors/log_vectors.json'));
  const ctx = logPart(lv);
  extendsPart(lv, ctx);
  receiptsPart(lv, ctx);
  rebuiltPart(lv, ctx);
  merklePart();
  ownLogPart(lv);
} catch (e) {
  check(part('crash in log'), 'no crash', false, e.stack);
}
try {
  ownRecapPart(readJSON(path.join(REPO, 'tests/vectors/admission_vectors.json')));
} catch (e) {
  check(part('crash in own §6.1 cases'), 'no crash', false, e.stack);
}

try {
  ownWarningsPart(readJSON(path.join(REPO, 'tests/vectors/admission_vectors.json')));
} catch (e) {
  check(part('crash in own warning cases'), 'no crash', false, e.stack);
}

try {
  ownPhotosPart();
} catch (e) {
  check(part('crash in own photo cases'), 'no crash', false, e.stack);
}

try {
  ownTokenPart();
} catch (e) {
  check(part('crash in own token cases'), 'no crash', false, e.stack);
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
