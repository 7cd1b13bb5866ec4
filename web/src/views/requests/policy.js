// The exit policy's reasons, fetched once per page load.
import { get } from '../../lib/api.js'

let cached = null
export function loadPolicy() {
  cached ||= get('/policy').catch((e) => {
    cached = null
    throw e
  })
  return cached
}

export function reasonLabel(policy, code, locale) {
  const r = policy?.reasons.find((x) => x.code === code)
  if (!r) return code
  return locale === 'zh-CN' ? r.label_zh : r.label_en
}
