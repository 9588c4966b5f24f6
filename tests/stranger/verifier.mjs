#!/usr/bin/env node
// Stranger's verifier for PROTOCOL.md §1–§8 and §10, and a runner over the published vectors.
// Usage (from the repository root): node tests/stranger/verifier.mjs [--verbose]
// Exit code 0 only when every vector matches.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, encode, canonicalBytes } from './canonical.mjs';
import { signatureProblem, opensslAccepts, publicKeyFromSeed, signWithSeed } from './ed25519.mjs';
import * as log from './log.mjs';
import { parseEnvelope, signingMessage, sha256hex, keyIdOf, checkOfficer, checkCertificate, checkRevocations, checkElection, checkReceipt, checkCertificateRequest, checkTreeHead, Holder, replay, allStates, totals, dhasilState, dhasilOutdated, objectionStatus, compareCodePoints, SEVERITY } from './protocol.mjs';

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
        const checker = { sheet: officer, review: officer, dhasil: officer, objection: officer, resolution: officer, certificate: checkCertificate, revocations: checkRevocations, election: checkElection, receipt: checkReceipt, certificate_request: checkCertificateRequest, tree_head: (q) => checkTreeHead(q, env.signer) }[env.type];
        if (env.type === 'receipt' && !('head' in env.payload)) {
          // GAP 67 (contradiction): §4 now gives a receipt exactly `type, server, time, election,
          // head, stored, held, refused`; this vector predates `head`. Its bytes, hash and
          // signature are checked above; its members are reported, not counted either way.
          try {
            checker({ ...env.payload, head: '0'.repeat(64) });
            p.info.push(`${label}: CONTRADICTION: the receipt has no \`head\`, which §4 now requires (it has every other member right)`);
          } catch (e) {
            check(p, `${label}: §4 members of ${env.type} (but head)`, false, e.message);
          }
        } else if (checker) {
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

// ------------------------------------------------------------------ part 5: the log (§10)

const PLACE_MEMBER = { sheet: 'station', review: 'station', dhasil: 'region', objection: 'place', resolution: 'place' };

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
  check(p, '§10.3 13 -> 8: rolled_back', ext(H13, H8, []) === 'rolled_back', 'not so');
  const H8x = sign(seedS, { ...H8.payload, root: log.treeRoot(L.slice(1, 9)).toString('hex') });
  check(p, '§10.3 another 8 -> 13: inconsistent', ext(H8x, H13, log.consistencyProof(8, L).map((x) => x.toString('hex'))) === 'inconsistent', 'not so');
  check(p, '§10.3 0 -> 13 needs no proof', ext(headOf(0), H13, null) === null, 'not so');
  // §10.4: the laptop pushed entries 10, 11, 12 (stored now) and 3 (held already)
  const E = lv.entries;
  const pushed = new Map([10, 11, 12, 3].map((i) => [E[i].hash, E[i].partition]));
  const receiptOf = (head, changes = {}) => sign(seedS, { type: 'receipt', server: keyIdOf(pkS), time: '2026-02-14T18:00:00Z', election, head: head.hash, stored: [10, 11, 12].map((i) => ({ hash: E[i].hash, index: i, received: E[i].received })), held: [{ hash: E[3].hash, index: 3, received: E[3].received }], refused: [], ...changes });
  const proofs = { append: { size: 10, frontier: log.frontierOf(L.slice(0, 10)) }, held: [log.inclusionProof(3, L).map((x) => x.toString('hex'))], consistency: log.consistencyProof(8, L).map((x) => x.toString('hex')) };
  const rv = (receipt, head, pr, kept = H8) => log.receiptVerdict({ receipt, head, proofs: pr, known: kept ? kept.payload.size : 0, keptHead: kept ? kept.payload : null, partitionOfHash: (h) => pushed.get(h) });
  check(p, '§10.4 an honest receipt holds', rv(receiptOf(H13), H13, proofs) === null, rv(receiptOf(H13), H13, proofs));
  check(p, '§10.4 no kept head, known 0', rv(receiptOf(H13), H13, { ...proofs, consistency: null }, null) === null, 'not so');
  check(p, '§10.4 a receipt naming another head: bad_receipt', String(rv(receiptOf(H8), H13, proofs)).startsWith('bad_receipt'), 'not so');
  const swapped = receiptOf(H13, { stored: [11, 10, 12].map((i) => ({ hash: E[i].hash, index: i, received: E[i].received })) });
  check(p, "§10.4 stored out of the log's order: bad_receipt", String(rv(swapped, H13, proofs)).startsWith('bad_receipt'), 'not so');
  const lied = receiptOf(H13, { stored: [10, 11, 12].map((i) => ({ hash: E[i].hash, index: i, received: '2026-02-14T18:00:00Z' })) });
  check(p, '§10.4 stored with another received time: bad_receipt', String(rv(lied, H13, proofs)).startsWith('bad_receipt'), 'not so');
  check(p, '§10.4 a held proof at another index: bad_receipt', String(rv(receiptOf(H13), H13, { ...proofs, held: [log.inclusionProof(4, L).map((x) => x.toString('hex'))] })).startsWith('bad_receipt'), 'not so');
  check(p, '§10.4 a kept head the new one does not extend: inconsistent', rv(receiptOf(H13), H13, proofs, H8x) === 'inconsistent', 'not so');
  // §10.5 after the ranges: one entry left out of what was pulled
  const c = lv.range_proofs.cases.find((x) => x.name === 'honest 32.01');
  if (c) {
    const rh = log.headVerdict(lv.heads.find((h) => h.name === lv.range_proofs.head).head, { election, certificates: [log.admitServerCertificate(lv.server_certificate, { authorityKey: lv.authority_key, election }).cert] });
    const r = log.checkRanges(rh.env.payload, c.jurisdiction, c.answer);
    const ranges = log.jurisdictionRanges(c.jurisdiction);
    const learnt = E.filter((e) => ranges.some(([a, b]) => compareCodePoints(e.partition, a) >= 0 && compareCodePoints(e.partition, b) < 0));
    check(p, '§10.5 an entry of 32.01.02 left out of the pull: withheld', String(log.checkLearnt(rh.env.payload, c.jurisdiction, r.partitions, learnt.filter((e) => e.index !== 7))).startsWith('withheld'), 'not so');
    check(p, '§10.5 an entry of 33.02.01 in a pull for 32.01: misplaced', String(log.checkLearnt(rh.env.payload, c.jurisdiction, r.partitions, [...learnt, E[10]])).startsWith('misplaced'), 'not so');
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

try {
  const lv = readJSON(path.join(REPO, 'tests/vectors/log_vectors.json'));
  logPart(lv);
  merklePart();
  ownLogPart(lv);
} catch (e) {
  check(part('crash in log'), 'no crash', false, e.stack);
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
