// The app: Vue, the router, zh-CN/en words and the Vant components most screens use (others are
// imported by the screen that needs them, so the login and gate pages stay small).
import { createApp } from 'vue'
import {
  Button, Cell, CellGroup, Empty, Field, Form, Loading, NavBar, Tag, Toast, Dialog, Popup, Icon,
  Search, List, Radio, RadioGroup, Checkbox,
} from 'vant'
import 'vant/lib/index.css'
import './app.css'
import App from './App.vue'
import { router } from './router.js'
import { i18n } from './i18n/index.js'
import { bindRouter } from './lib/session.js'
import { installA11y } from './lib/a11y.js'

const app = createApp(App)
for (const c of [Button, Cell, CellGroup, Empty, Field, Form, Loading, NavBar, Tag, Toast, Dialog, Popup, Icon, Search, List, Radio, RadioGroup, Checkbox]) {
  app.use(c)
}
app.use(i18n)
app.use(router)
bindRouter(router)
installA11y(router)
app.mount('#app')

// The app shell stays on the phone, so a gate that loses the network can still reload its page
// (service workers need a secure context: HTTPS, or localhost).
if ('serviceWorker' in navigator && window.isSecureContext) {
  navigator.serviceWorker.register('/sw.js').catch(() => {})
  navigator.serviceWorker.ready.then((registration) => {
    const loaded = performance.getEntriesByType('resource').map((e) => e.name).filter((u) => u.includes('/assets/'))
    registration.active?.postMessage({ keep: ['/index.html', ...loaded] })
  })
}
