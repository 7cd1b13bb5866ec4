// A pass's short code (出入证编码), as domain/short_code.cpp reads it: eight characters of
// Crockford's base 32 (digits and capitals without I, L, O, U), the last a Luhn mod 32 check
// character. Typed text is read forgivingly: case, spaces and dashes ignored, I and L read as 1,
// O as 0. The gate checks a typed code here before it asks the server (or its offline bundle),
// so that a slip of the finger is caught on the phone. tests/vectors/offline_gate.json holds
// codes both this file and the C++ must read alike.

const kAlphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const kLength = 8

function valueOf(c) {
  let u = c.toUpperCase()
  if (u === 'I' || u === 'L') u = '1'
  if (u === 'O') u = '0'
  return kAlphabet.indexOf(u)
}

// Whether the text is meant as a code rather than an 18-digit ID number or a token: 6 to 10
// characters once spaces and dashes are dropped (domain::looks_like_short_code).
export function looksLikeShortCode(typed) {
  const n = (typed || '').replace(/[ \t-]/g, '').length
  return n >= kLength - 2 && n <= kLength + 2
}

// {code} in its one spelling (eight capitals), or {problem}: 'code.length', 'code.character' or
// 'code.check' (domain::parse_short_code).
export function parseShortCode(typed) {
  const chars = [...(typed || '').replace(/[ \t-]/g, '')]
  // Bytes, as the server counts them: a Chinese character is three.
  const bytes = new TextEncoder().encode(chars.join('')).length
  if (bytes !== kLength) return { problem: 'code.length' }
  const values = chars.map(valueOf)
  if (values.some((v) => v < 0)) return { problem: 'code.character' }
  let sum = 0
  let twice = false
  for (let i = values.length - 1; i >= 0; i--) {
    let addend = twice ? 2 * values[i] : values[i]
    addend = Math.floor(addend / 32) + (addend % 32)
    sum += addend
    twice = !twice
  }
  if (sum % 32 !== 0) return { problem: 'code.check' }
  return { code: values.map((v) => kAlphabet[v]).join('') }
}

// As printed and shown: "K7QM-2X9C".
export function formatShortCode(code) {
  return code && code.length === kLength ? `${code.slice(0, 4)}-${code.slice(4)}` : code || ''
}
