// Writes a Y4M video whose every frame shows one QR code, for Chromium's fake camera
// (--use-file-for-fake-video-capture). Chromium loops the file.
//
// ZXing's finder-pattern detector (the page's @zxing/browser) misses some perfectly drawn
// codes: about one token in ten, whatever the scale, as the same detector run here on the
// frame shows. A hand-held phone moves; this file does not. So the code is drawn at the first
// of a few sizes and offsets at which the same detector reads it, and the caller is told when
// none does (about one token in twenty-five) rather than left waiting for a verdict.
import { writeFileSync } from 'node:fs'
import QRCode from 'qrcode'
import zx from '@zxing/library'

const { QRCodeReader, BinaryBitmap, HybridBinarizer, RGBLuminanceSource } = zx

// fill (of the frame's height), dx, dy
const kPlacements = [[0.9, 0, 0], [0.8, 7, 3], [0.7, -11, 5], [0.6, 13, -9], [0.75, 0, 0],
  [0.85, -5, -5], [0.65, 20, 10], [0.55, -15, -12]]

function frameLuma(qr, width, height, [fill, dx, dy]) {
  const n = qr.modules.size
  const quiet = 4
  const scale = Math.floor(Math.min(width, height) * fill / (n + 2 * quiet))
  const side = (n + 2 * quiet) * scale
  const x0 = Math.floor((width - side) / 2) + dx
  const y0 = Math.floor((height - side) / 2) + dy
  const luma = Buffer.alloc(width * height, 235) // white, in video range
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!qr.modules.get(r, c)) continue
      for (let y = 0; y < scale; y++) {
        const row = (y0 + (r + quiet) * scale + y) * width + x0 + (c + quiet) * scale
        luma.fill(16, row, row + scale) // black
      }
    }
  }
  return luma
}

function readable(luma, width, height, text) {
  try {
    const source = new RGBLuminanceSource(new Uint8ClampedArray(luma), width, height)
    return new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source))).getText() === text
  } catch {
    return false
  }
}

// Returns whether ZXing reads the frame written (false: it is the first placement, unread).
export function writeQrVideo(path, text, { width = 640, height = 480, frames = 10 } = {}) {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' })
  let luma = null
  let read = false
  for (const placement of kPlacements) {
    const candidate = frameLuma(qr, width, height, placement)
    luma ||= candidate
    if (readable(candidate, width, height, text)) {
      luma = candidate
      read = true
      break
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128)
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`)
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma, chroma])
  writeFileSync(path, Buffer.concat([header, ...Array(frames).fill(frame)]))
  return read
}
