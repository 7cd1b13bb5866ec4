// The gate's memory across reloads and lost connections: its device name, the last offline
// bundle and the queue of checks made offline, in localStorage until they are synced.
import { reactive } from 'vue'
import { get, post } from '../../lib/api.js'

const kBundle = 'juwei.gate.bundle'
const kQueue = 'juwei.gate.queue'
const kDevice = 'juwei.gate.device'

function load(key, fallback) {
  try {
    const text = localStorage.getItem(key)
    return text ? JSON.parse(text) : fallback
  } catch {
    return fallback
  }
}

function randomId(bytes = 8) {
  const b = new Uint8Array(bytes)
  crypto.getRandomValues(b)
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

export const gateState = reactive({
  device: load(kDevice, null) || `gate-${randomId(3)}`,
  bundle: load(kBundle, null),
  queue: load(kQueue, []),
  syncing: false,
  lastSyncError: '',
})
localStorage.setItem(kDevice, JSON.stringify(gateState.device))

function saveQueue() {
  localStorage.setItem(kQueue, JSON.stringify(gateState.queue))
}

export function setDevice(name) {
  gateState.device = name.trim().slice(0, 64) || gateState.device
  localStorage.setItem(kDevice, JSON.stringify(gateState.device))
}

// Fetches a fresh bundle; keeps the old one when the network is down.
export async function refreshBundle() {
  const bundle = await get('/gate/offline-bundle')
  gateState.bundle = bundle
  localStorage.setItem(kBundle, JSON.stringify(bundle))
  return bundle
}

// A new check's id on this device: sent with the online check, so a retry after a lost reply is
// answered once, and kept for the offline check made instead, so the sync finds it applied.
export function newCheckId() {
  return `${gateState.device}-${Date.now().toString(36)}-${randomId(4)}`
}

// Records a check made offline, to sync later; `holder` (the token's) stays on the phone: the
// offline rules ask whether this person is out, whichever pass they show.
export function enqueue({ direction, token, decision, code, passId, holder, checkId }) {
  const now = Date.now()
  gateState.queue.push({
    client_id: checkId || newCheckId(),
    at: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'), // the server takes whole seconds
    atMs: now,
    direction,
    token,
    decision,
    code,
    pass_id: passId || undefined,
    holder: holder || undefined,
  })
  saveQueue()
}

// Sends the queue in batches of at most 1000; a check stays queued until the server answered
// for it. Resending after a lost answer is safe: the server applies each client_id once.
export async function syncQueue() {
  if (gateState.syncing || !gateState.queue.length) return null
  gateState.syncing = true
  gateState.lastSyncError = ''
  let conflicts = 0
  try {
    while (gateState.queue.length) {
      const batch = gateState.queue.slice(0, 1000)
      const answer = await post('/gate/sync', {
        device: gateState.device,
        checks: batch.map(({ atMs, holder, ...check }) => check),
      })
      conflicts += answer.items.filter((i) => i.conflict).length
      const done = new Set(answer.items.map((i) => i.client_id))
      gateState.queue = gateState.queue.filter((q) => !done.has(q.client_id))
      saveQueue()
    }
    return { conflicts }
  } catch (e) {
    gateState.lastSyncError = e?.message || String(e)
    throw e
  } finally {
    gateState.syncing = false
  }
}
