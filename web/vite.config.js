// Builds the web app into dist/ (or --outDir); `npm run dev` proxies the API to a local server.
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  plugins: [vue()],
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
