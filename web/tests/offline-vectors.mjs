// Runs tests/vectors/offline_gate.json through the gate page's offline.js: every case must give
// the verdict the server's domain::check_offline gives (tests/offline_vectors_test.cpp runs the
// same file there), every claims encoding must decode to its claims, every malformed one must
// be refused. Prints a summary; exits 1 on any failure.
//   node web/tests/offline-vectors.mjs tests/vectors/offline_gate.json

import { readFileSync } from 'node:fs'
import { checkOffline, decodeClaims, fromBase64url } from '../src/views/gate/offline.js'
import { parseShortCode } from '../src/lib/short-code.js'
import { checkCharacterMatches, idNumberPattern } from '../src/lib/id-number.js'

const file = process.argv[2]
if (!file) {
  console.error('usage: offline-vectors.mjs VECTORS.json')
  process.exit(2)
}
const doc = JSON.parse(readFileSync(file, 'utf8'))
// offline.js reads the wall clock's slots in Shanghai time by its own constant; the vectors
// must say the same offset, or the slot cases would test nothing.
if (doc.utc_offset_minutes !== 480) throw new Error('offline.js assumes UTC+8')

// The claims as offline.js's decodeClaims gives them.
function claimsOf(own) {
  const c = { ...doc.claims_default, ...own }
  return {
    keyId: c.key_id,
    communityId: c.community_id,
    passId: c.pass_id,
    holder: c.holder,
    kind: c.kind,
    emergency: c.emergency,
    validFrom: Date.parse(c.valid_from),
    validUntil: Date.parse(c.valid_until),
  }
}

let passed = 0
const failures = []
function check(name, ok, detail) {
  if (ok) passed++
  else failures.push(`${name}: ${detail}`)
}

for (const c of doc.cases) {
  const queued = c.queued.map((q) => ({
    pass_id: q.pass_id,
    holder: q.holder,
    direction: q.direction,
    decision: q.decision,
    atMs: Date.parse(q.at),
  }))
  const verdict = checkOffline(doc.bundle, claimsOf(c.claims), c.direction === 'out', queued,
    Date.parse(c.now))
  const allowed = ['gate.out', 'gate.in', 'gate.in_without_exit'].includes(c.expect)
  check(c.name, verdict.code === c.expect && (verdict.decision === 'allow') === allowed,
    `expected ${c.expect}, got ${verdict.decision} ${verdict.code}`)
}

for (const e of doc.encodings) {
  const got = decodeClaims(fromBase64url(e.bytes))
  const want = claimsOf(e.claims)
  check(`decodes ${e.bytes}`, JSON.stringify(got) === JSON.stringify(want),
    `expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`)
}

for (const m of doc.malformed) {
  const bytes = fromBase64url(m.bytes)
  check(`refuses ${m.name}`, bytes !== null && decodeClaims(bytes) === null,
    `decoded to ${JSON.stringify(bytes && decodeClaims(bytes))}`)
}

// What a guard types: a pass's short code, an ID number's check character.
for (const c of doc.short_codes) {
  const read = parseShortCode(c.typed)
  const want = c.code ? { code: c.code } : { problem: c.problem }
  check(`reads the code "${c.typed}"`, JSON.stringify(read) === JSON.stringify(want),
    `expected ${JSON.stringify(want)}, got ${JSON.stringify(read)}`)
}
for (const n of doc.id_numbers) {
  const ok = idNumberPattern.test(n.number) && checkCharacterMatches(n.number)
  check(`checks the ID number ${n.number}`, ok === n.valid, `expected ${n.valid}, got ${ok}`)
}

for (const f of failures) console.log(`FAILED ${f}`)
console.log(`offline vectors: ${passed} passed, ${failures.length} failed, ` +
  `${passed + failures.length} in all (${doc.cases.length} cases, ${doc.encodings.length} ` +
  `encodings, ${doc.malformed.length} malformed, ${doc.short_codes.length} short codes, ` +
  `${doc.id_numbers.length} ID numbers)`)
process.exit(failures.length ? 1 : 0)
