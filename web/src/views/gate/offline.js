// The gate without the network (离线核验): reads a pass token, verifies its Ed25519 signature
// against the offline bundle's keys (WebCrypto), and applies the same rules as the server's
// domain::check_offline to the bundle plus this gate's own queue of checks. Pure but for the
// signature check; `now` is passed in. tests/vectors/offline_gate.json holds the cases both
// must agree on (web/tests/offline-vectors.mjs here, tests/offline_vectors_test.cpp there):
// change a rule in both and add its case.

const kPrefix = 'JW1.'
const kSignatureBytes = 64
const kClaimsVersion = 1
const kFlagHousehold = 1
const kFlagEmergency = 2
const kUtcOffsetMinutes = 8 * 60 // Asia/Shanghai, no daylight saving

export function fromBase64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4)
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
  } catch {
    return null
  }
}

// The claims of `bytes` (see domain::decode_claims), or null when it is not one exact encoding.
export function decodeClaims(bytes) {
  let at = 0
  const u8 = () => (at < bytes.length ? bytes[at++] : null)
  const u32 = () => {
    if (bytes.length - at < 4) return null
    const v = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)
    at += 4
    return v >>> 0
  }
  const varint = () => {
    let v = 0
    for (let shift = 0; shift < 63; shift += 7) {
      const b = u8()
      if (b === null) return null
      v += (b & 0x7f) * 2 ** shift
      if (!(b & 0x80)) return b === 0 && shift > 0 ? null : v
    }
    return null
  }
  if (u8() !== kClaimsVersion) return null
  const flags = u8()
  const keyId = u32()
  const community = varint()
  const pass = varint()
  const holder = varint()
  const from = u32()
  const until = u32()
  // As the server: a field that cannot be read refuses the bytes; a zero is read as zero.
  const fields = [flags, keyId, community, pass, holder, from, until]
  if (fields.includes(null) || flags & ~(kFlagHousehold | kFlagEmergency) || at !== bytes.length) {
    return null
  }
  return {
    keyId, communityId: String(community), passId: String(pass), holder: String(holder),
    kind: flags & kFlagHousehold ? 'household' : 'individual', emergency: !!(flags & kFlagEmergency),
    validFrom: from * 1000, validUntil: until * 1000,
  }
}

// Splits a token into its claims and signature; {refusal} when it is not a Juwei token.
export function readToken(token) {
  const text = (token || '').trim()
  if (!text.startsWith(kPrefix)) return { refusal: 'pass.malformed' }
  const bytes = fromBase64url(text.slice(kPrefix.length))
  if (!bytes || bytes.length <= kSignatureBytes) return { refusal: 'pass.malformed' }
  const signed = bytes.slice(0, bytes.length - kSignatureBytes)
  const claims = decodeClaims(signed)
  if (!claims) return { refusal: 'pass.malformed' }
  return { claims, signed, signature: bytes.slice(bytes.length - kSignatureBytes) }
}

const importedKeys = new Map()
async function publicKey(b64) {
  if (!importedKeys.has(b64)) {
    const raw = fromBase64url(b64)
    importedKeys.set(b64, crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']))
  }
  return importedKeys.get(b64)
}

// Whether the token's signature verifies against the bundle key it names.
export async function verifySignature(bundle, read) {
  const key = bundle.keys.find((k) => Number(k.key_id) === read.claims.keyId)
  if (!key || !globalThis.crypto?.subtle) return false
  try {
    return await crypto.subtle.verify({ name: 'Ed25519' }, await publicKey(key.public_key), read.signature, read.signed)
  } catch {
    return false
  }
}

function parseSlots(text) {
  if (!text) return []
  return text.split(',').map((s) => {
    const [a, b] = s.split('-').map((hm) => {
      const [h, m] = hm.trim().split(':').map(Number)
      return h * 60 + m
    })
    return { start: a, end: b }
  })
}

// Whether the register, as this gate knows it, shows `holder` out (rule gate.one_open_exit):
// this gate's own last allowed check of them, on any pass, whichever is latest; else an open
// exit of any of their passes in the bundle. A queued check names its holder (older queues may
// not: then the bundle's holder of its pass).
function holderIsOut(bundle, holder, queued) {
  let last = null
  for (const q of queued) {
    if (q.decision !== 'allow') continue
    const whose = q.holder || bundle.passes.find((p) => p.id === q.pass_id)?.holder
    if (whose === holder && (!last || q.atMs >= last.atMs)) last = q
  }
  if (last) return last.direction === 'out'
  return bundle.passes.some((p) => p.holder === holder && p.out)
}

// The pass's own refusal at `now`, as far as the bundle and this gate's queue know it.
function offlineRefusal(pass, claims, queued, now) {
  if (pass?.refusal) return pass.refusal
  if (now < claims.validFrom) return 'pass.not_yet_valid'
  if (now >= claims.validUntil) return 'pass.expired'
  const mine = queued.filter((q) => q.pass_id === claims.passId && q.direction === 'out' && q.decision === 'allow')
  if (claims.kind === 'individual') return mine.length ? 'pass.used' : null
  if (!pass) return null
  const since = now - pass.period_days * 86400000
  const uses = [...pass.uses.map((u) => Date.parse(u)), ...mine.map((q) => q.atMs)]
  if (uses.filter((u) => u > since && u <= now).length >= pass.quota) return 'household.quota'
  const slots = parseSlots(pass.slots)
  if (slots.length) {
    const minute = Math.floor((now / 60000 + kUtcOffsetMinutes) % 1440)
    if (!slots.some((s) => minute >= s.start && minute < s.end)) return 'household.time_slot'
  }
  return null
}

const allow = (code, pass) => ({ decision: 'allow', code, pass })
const deny = (code, pass = null) => ({ decision: 'deny', code, pass })

// The gate's one decider, as domain::decide_gate: coming in is never refused (with the holder
// out it closes their exit); going out, not while the register shows them out, then the pass's
// own refusal.
function decideGate(out, holderOut, refusal, pass) {
  if (!out) return allow(holderOut ? 'gate.in' : 'gate.in_without_exit', pass)
  if (holderOut) return deny('gate.already_out', pass)
  if (refusal) return deny(refusal, pass)
  return allow('gate.out', pass)
}

// The verdict for claims already verified, as domain::check_offline gives it.
// `queued`: this gate's checks, each {pass_id, holder, direction, decision, atMs}.
export function checkOffline(bundle, claims, out, queued, now) {
  const pass = bundle.passes.find((p) => p.id === claims.passId) || null
  if (pass && pass.holder !== claims.holder) return deny('pass.unknown')
  // A pass signed before the community moved here (juwei migrate) names its chain id.
  const ours = [String(bundle.community_id), ...(bundle.chain_id ? [String(bundle.chain_id)] : [])]
  if (!ours.includes(claims.communityId)) return deny('pass.wrong_community')
  const holderOut = holderIsOut(bundle, claims.holder, queued)
  if (!out) return decideGate(false, holderOut, null, pass)
  if (now > Date.parse(bundle.stale_after)) return deny('offline.stale')
  if (!pass && claims.validFrom < Date.parse(bundle.issued_at)) return deny('offline.unknown_pass')
  return decideGate(true, holderOut, offlineRefusal(pass, claims, queued, now), pass)
}

// The whole offline check of a scanned token: read, verify, rules.
export async function checkTokenOffline(bundle, token, out, queued, now = Date.now()) {
  if (!bundle) return { ...deny('offline.stale'), claims: null }
  const read = readToken(token)
  if (read.refusal) return { ...deny(read.refusal), claims: null }
  if (!(await verifySignature(bundle, read))) return { ...deny('pass.bad_signature'), claims: read.claims }
  return { ...checkOffline(bundle, read.claims, out, queued, now), claims: read.claims }
}
