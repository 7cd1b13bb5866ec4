// A screen's data loaded again and again (another day, another community): only the latest
// call's answer is kept, whatever order the answers come back in.
import { ref } from 'vue'

// `fetch(...args)` resolves to the data. `load(...args)` resolves to the data it kept, or to
// undefined when it failed or a later call overtook it; `error` is the latest call's error.
export function useLatest(fetch) {
  const data = ref(null)
  const loading = ref(false)
  const error = ref(null)
  let ticket = 0
  async function load(...args) {
    const mine = ++ticket
    loading.value = true
    error.value = null
    try {
      const answer = await fetch(...args)
      if (mine !== ticket) return undefined
      data.value = answer
      return answer
    } catch (e) {
      if (mine === ticket) {
        error.value = e
        data.value = null
      }
      return undefined
    } finally {
      if (mine === ticket) loading.value = false
    }
  }
  // Forgets the data (and any call still on its way).
  function clear() {
    ticket++
    data.value = null
    loading.value = false
    error.value = null
  }
  return { data, loading, error, load, clear }
}
