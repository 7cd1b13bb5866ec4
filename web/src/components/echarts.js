// Apache ECharts on demand, for the app's charts (CoverageChart.vue, DayChart.vue): the core and
// the canvas renderer come in their own chunks when a chart is first drawn, never with a page's
// first JavaScript, and a chart's box follows its size. Not shared between components: each
// useECharts() owns its chart instance and disposes of it with the component.
import { ref, nextTick, onBeforeUnmount } from 'vue'

// The core and the canvas renderer, with the parts `parts()` imports: each lib/ module registers
// itself with the core (the barrels 'echarts/charts' and 'echarts/components' would bring every
// chart and component along). `parts` returns the import() promises, so Vite sees each path.
async function loadECharts(parts) {
  const [core, { CanvasRenderer }] = await Promise.all([import('echarts/core'), import('echarts/renderers'), ...parts()])
  core.use([CanvasRenderer])
  return core
}

// Text set into a tooltip's HTML (names come from the records).
export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])
}

// A chart drawn in the element `box` (a ref): `option({ width })` gives the ECharts option for
// the box's width in pixels, set whole (notMerge) on every render; `onClick(event)` gets ECharts'
// click events. A resize only resizes the chart (what the reader zoomed or hid stays), unless
// `layoutOf(width)` (say, the legend's number of lines) changes: then the option is set again.
// `state` is loading, ready or failed (with `failure`, the error's words); start() tries again
// after a failure.
export function useECharts(box, { parts, option, onClick, layoutOf = () => 0 }) {
  const state = ref('loading') // loading | ready | failed
  const failure = ref('')
  let chart = null
  let observer = null
  let starting = false
  let unmounted = false
  let layout = null

  const width = () => box.value?.clientWidth || 0
  function render() {
    if (!chart) return
    chart.resize()
    layout = layoutOf(width())
    chart.setOption(option({ width: width() }), { notMerge: true })
  }
  function resize() {
    if (!chart) return
    if (layoutOf(width()) !== layout) render()
    else chart.resize()
  }

  function stop() {
    observer?.disconnect()
    observer = null
    chart?.dispose()
    chart = null
  }

  async function start() {
    if (starting) return
    starting = true
    state.value = 'loading'
    failure.value = ''
    try {
      const echarts = await loadECharts(parts)
      await nextTick()
      if (unmounted || !box.value) return
      stop()
      chart = echarts.init(box.value)
      if (onClick) chart.on('click', onClick)
      observer = new ResizeObserver(resize)
      observer.observe(box.value)
      render()
      state.value = 'ready'
    } catch (e) {
      failure.value = e?.message || String(e)
      state.value = 'failed'
    } finally {
      starting = false
    }
  }

  // After the data changed: drawn again, started when its box is new (it left the page with the
  // data and came back), stopped when `active` is false (no data, no box).
  async function update(active = true) {
    await nextTick()
    if (!active) {
      stop()
      return
    }
    if (starting) return
    if (!chart || chart.getDom() !== box.value) start()
    else render()
  }

  onBeforeUnmount(() => {
    unmounted = true
    stop()
  })

  return { state, failure, start, update }
}
