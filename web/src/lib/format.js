// Times as the community reads them (Asia/Shanghai), and small display helpers.
const zone = 'Asia/Shanghai'

// One format of a time people read, as the server's CSV and CLI write it
// (domain::local_date_time): "2022-04-04 10:00", the year left out on today ("04-04 10:00");
// only the time with `date: false`.
export function formatTime(iso, { date = true, seconds = false } = {}, now = new Date()) {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const p = localParts(d)
  const time = `${p.hour}:${p.minute}${seconds ? `:${p.second}` : ''}`
  if (!date) return time
  const n = localParts(now)
  const sameDay = p.year === n.year && p.month === n.month && p.day === n.day
  return `${sameDay ? '' : `${p.year}-`}${p.month}-${p.day} ${time}`
}

function localParts(d) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    second: '2-digit', hourCycle: 'h23',
  }).formatToParts(d)
  return Object.fromEntries(parts.map((x) => [x.type, x.value]))
}

// "2 小时 5 分" until (positive) or since (negative) a moment, from now.
export function countdown(iso, now = Date.now(), t) {
  if (!iso) return ''
  let ms = new Date(iso).getTime() - now
  const past = ms < 0
  ms = Math.abs(ms)
  const h = Math.floor(ms / 3600000)
  const m = Math.floor((ms % 3600000) / 60000)
  const text = h > 0 ? t('common.hours_minutes', { h, m }) : t('common.minutes', { m })
  return past ? t('common.ago', { text }) : t('common.in', { text })
}

// Today in the community's zone, YYYY-MM-DD.
export function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date())
}

// "YYYY-MM-DD HH:MM" in community time, from a datetime-local value or a Date.
export function communityTime(d) {
  const p = localParts(d)
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}

// A screening round as people tell rounds apart: "04-05 第2轮 · 09:30" (the day's second round,
// opened at 09:30); the first of a day is 第1轮 too, so two of a day never look alike.
export function roundName(round, t) {
  if (!round) return ''
  const day = round.day === today() ? t('common.today') : round.day
  return t('common.round_name', { day, n: round.number_in_day || 1, time: formatTime(round.created_at, { date: false }) })
}
