// Times as the community reads them (Asia/Shanghai), and small display helpers.
const zone = 'Asia/Shanghai'

export function formatTime(iso, { date = true, seconds = false } = {}) {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const opts = { timeZone: zone, hour: '2-digit', minute: '2-digit', hour12: false }
  if (seconds) opts.second = '2-digit'
  if (date) Object.assign(opts, { month: '2-digit', day: '2-digit' })
  return new Intl.DateTimeFormat('zh-CN', opts).format(d)
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
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
  }).formatToParts(d)
  const get = (type) => parts.find((p) => p.type === type).value
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour') === '24' ? '00' : get('hour')}:${get('minute')}`
}
