// The API client: JSON in and out, problem+json turned into an ApiError that knows its field
// errors, and a 401 on a live session handed to the session (back to the login page).
import { reactive } from 'vue'

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`)
    this.status = status
    this.problem = problem || {}
    // field -> [{message, message_zh, code}]
    this.fields = {}
    for (const e of this.problem.errors || []) {
      ;(this.fields[e.field] ||= []).push(e)
    }
  }
}

// Listeners told when a request comes back 401 (the session expired or was ended).
const expiredListeners = new Set()
export function onSessionExpired(fn) {
  expiredListeners.add(fn)
  return () => expiredListeners.delete(fn)
}

// Network state, for the banners: false after a request failed to reach the server.
export const network = reactive({ online: typeof navigator === 'undefined' || navigator.onLine })
if (typeof window !== 'undefined') {
  window.addEventListener('online', () => (network.online = true))
  window.addEventListener('offline', () => (network.online = false))
}

function queryString(query) {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue
    params.set(k, String(v))
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

// Calls the API. `body` is sent as JSON unless it is a Blob/File (sent as is, with its type).
// Resolves to the parsed JSON (or the Response when `raw`), rejects with an ApiError, or with a
// TypeError when the network is down.
export async function api(method, path, { body, query, headers = {}, raw = false, signal } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, credentials: 'same-origin', signal }
  if (body instanceof Blob) {
    init.body = body
    init.headers['Content-Type'] ||= body.type || 'application/octet-stream'
  } else if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers['Content-Type'] = 'application/json'
  }
  let response
  try {
    response = await fetch(`/api/v1${path}${queryString(query)}`, init)
  } catch (e) {
    if (e.name !== 'AbortError') network.online = false
    throw e
  }
  network.online = true
  if (response.status === 401 && path !== '/session') {
    for (const fn of expiredListeners) fn()
  }
  if (!response.ok) {
    let problem = null
    try {
      problem = await response.json()
    } catch {
      problem = { title: response.statusText, status: response.status }
    }
    const error = new ApiError(response.status, problem)
    error.retryAfter = Number(response.headers.get('Retry-After')) || 0
    throw error
  }
  if (raw) return response
  if (response.status === 204) return null
  const type = response.headers.get('Content-Type') || ''
  return type.includes('json') ? response.json() : response.text()
}

export const get = (path, query, opts) => api('GET', path, { ...opts, query })
export const post = (path, body, opts) => api('POST', path, { ...opts, body })
export const put = (path, body, opts) => api('PUT', path, { ...opts, body })
export const patch = (path, body, opts) => api('PATCH', path, { ...opts, body })
export const del = (path, opts) => api('DELETE', path, opts)

// A fresh Idempotency-Key for a create that may be retried.
export function idempotencyKey() {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
