// The app's one format of a time (web/src/lib/format.js), as the server's CSV and CLI write it
// (domain::local_date_time): "2022-04-04 10:00", the year left out on today. Exits 1 on a miss.
//   node web/tests/format.mjs
import { formatTime, roundName } from '../src/lib/format.js'

const now = new Date('2022-04-05T04:00:00Z') // 12:00 in Shanghai
const cases = [
  ['2022-04-05T01:30:00Z', {}, '04-05 09:30'],
  ['2022-04-04T15:59:00Z', {}, '2022-04-04 23:59'],
  ['2022-04-04T16:00:00Z', {}, '04-05 00:00'],
  ['2021-12-31T16:30:05Z', { seconds: true }, '2022-01-01 00:30:05'],
  ['2022-04-05T01:30:00Z', { date: false }, '09:30'],
  ['', {}, '—'],
]
let failed = 0
for (const [iso, opts, want] of cases) {
  const got = formatTime(iso, opts, now)
  if (got !== want) {
    failed++
    console.log(`FAILED formatTime(${iso}, ${JSON.stringify(opts)}): ${got}, expected ${want}`)
  }
}
const t = (key, v) => `${key}:${JSON.stringify(v)}`
const name = roundName({ day: '2022-04-04', number_in_day: 2, created_at: '2022-04-04T01:05:00Z' }, t)
if (name !== 'common.round_name:{"day":"2022-04-04","n":2,"time":"09:05"}') {
  failed++
  console.log(`FAILED roundName: ${name}`)
}
console.log(`format: ${cases.length + 1 - failed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
