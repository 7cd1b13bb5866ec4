// Turns API errors into words for the screen, in the user's language.
import { ApiError } from './api.js'
import { i18n } from '../i18n/index.js'

function pick(e) {
  const zh = i18n.global.locale.value === 'zh-CN'
  return (zh && e.message_zh) || e.message
}

// The message for one field of a problem, or '' (for Vant Field's error-message).
// `prefix` matches nested fields: fieldError(err, 'reason') also takes "reason.code".
export function fieldError(err, field) {
  if (!(err instanceof ApiError)) return ''
  const direct = err.fields[field]
  if (direct?.length) return direct.map(pick).join('；')
  return ''
}

// The whole error in one line, for a toast or a banner.
export function errorText(err) {
  const t = i18n.global.t
  if (!(err instanceof ApiError)) return t('common.network_error')
  const fields = Object.values(err.fields).flat()
  if (fields.length) return fields.map(pick).join('；')
  if (err.status === 403) return t('common.forbidden')
  if (err.status === 404) return t('common.not_found')
  if (err.status === 409) return `${t('common.conflict')}：${err.problem.detail || ''}`
  return err.problem.detail || err.problem.title || t('common.error')
}

// Field errors whose field no control on the screen shows, to list under the form.
export function otherErrors(err, shown) {
  if (!(err instanceof ApiError)) return []
  return Object.entries(err.fields)
    .filter(([field]) => !shown.includes(field))
    .flatMap(([field, list]) => list.map((e) => `${field}: ${pick(e)}`))
}
