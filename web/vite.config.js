// Builds the web app into dist/ (or --outDir); `npm run dev` proxies the API to a local server.
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The app makes no request outside its own server: Vant's icon font is inlined (woff2), and the
// copy its CSS names on a CDN as a fallback is dropped from every @font-face, so no browser
// ever asks that host (the gate's phones may have no route to it, and residents' data stays
// with us).
function localFontsOnly() {
  const remote = /,?\s*url\((?:["']?)(?:https?:)?\/\/[^)]*\)\s*format\([^)]*\)/g
  const strip = (css) => css.replace(/@font-face\s*{[^}]*}/g, (face) => face.replace(remote, ''))
  return {
    name: 'juwei-local-fonts-only',
    generateBundle(_, bundle) {
      for (const file of Object.values(bundle)) {
        if (file.type === 'asset' && file.fileName.endsWith('.css')) file.source = strip(String(file.source))
      }
    },
  }
}

export default defineConfig({
  plugins: [vue(), localFontsOnly()],
  build: {
    // Hashed file names under assets/: the server caches them for a year.
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/api': process.env.JUWEI_API || 'http://127.0.0.1:8080' },
  },
})
