// Writes a Y4M video whose every frame shows one QR code, for Chromium's fake camera
// (--use-file-for-fake-video-capture). Chromium loops the file.
import { writeFileSync } from 'node:fs'
import QRCode from 'qrcode'

export function writeQrVideo(path, text, { width = 640, height = 480, frames = 10 } = {}) {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' })
  const n = qr.modules.size
  const quiet = 4
  const scale = Math.floor(Math.min(width, height) * 0.9 / (n + 2 * quiet))
  const side = (n + 2 * quiet) * scale
  const x0 = Math.floor((width - side) / 2)
  const y0 = Math.floor((height - side) / 2)
  const luma = Buffer.alloc(width * height, 235) // white, in video range
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!qr.modules.get(r, c)) continue
      for (let dy = 0; dy < scale; dy++) {
        const row = (y0 + (r + quiet) * scale + dy) * width + x0 + (c + quiet) * scale
        luma.fill(16, row, row + scale) // black
      }
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128)
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`)
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma, chroma])
  writeFileSync(path, Buffer.concat([header, ...Array(frames).fill(frame)]))
}
