// zh-CN first, en second. Each area of the app keeps its words in its own module.
import { createI18n } from 'vue-i18n'
import chart from './chart.js'
import common from './common.js'
import desk from './desk.js'
import gate from './gate.js'
import requests from './requests.js'
import resident from './resident.js'
import screening from './screening.js'
import trends from './trends.js'
import volunteer from './volunteer.js'

const modules = { common, desk, requests, gate, resident, screening, volunteer, chart, trends }

function messages(lang) {
  const out = {}
  for (const [name, mod] of Object.entries(modules)) out[name] = mod[lang]
  return out
}

const saved = typeof localStorage !== 'undefined' ? localStorage.getItem('juwei.locale') : null

export const i18n = createI18n({
  legacy: false,
  locale: saved === 'en' ? 'en' : 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': messages('zh'), en: messages('en') },
})

export function setLocale(lang) {
  i18n.global.locale.value = lang
  localStorage.setItem('juwei.locale', lang)
  document.documentElement.lang = lang
}

export function toggleLocale() {
  setLocale(i18n.global.locale.value === 'zh-CN' ? 'en' : 'zh-CN')
}
