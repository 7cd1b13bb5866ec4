// Keeps a form's input in sessionStorage while it is being filled, so a session that expires
// mid-form (back to the login page) loses nothing: the form comes back filled.
import { watch } from 'vue'

export function useDraft(key, state) {
  const storageKey = `juwei.draft.${key}`
  try {
    const saved = sessionStorage.getItem(storageKey)
    if (saved) Object.assign(state, JSON.parse(saved))
  } catch {
    /* a broken draft is dropped */
  }
  watch(state, (value) => sessionStorage.setItem(storageKey, JSON.stringify(value)), { deep: true })
  return {
    clear() {
      sessionStorage.removeItem(storageKey)
    },
  }
}
