import { api } from './api.js'

// Saves what a GET answers as a file, under the name the server gives it (RFC 6266 filename*,
// else filename), or `fallback`.
export async function download(path, query, fallback) {
  const response = await api('GET', path, { query, raw: true, headers: { Accept: '*/*' } })
  const disposition = response.headers.get('Content-Disposition') || ''
  const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(disposition)
  const plain = /filename="([^"]+)"/i.exec(disposition)
  const name = utf8 ? decodeURIComponent(utf8[1]) : plain ? plain[1] : fallback
  const url = URL.createObjectURL(await response.blob())
  const link = document.createElement('a')
  link.href = url
  link.download = name
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10000)
  return name
}
