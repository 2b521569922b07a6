import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// In development the page comes from Vite and the rooms from the Coedit server on its own
// port (VITE_SYNC_URL, set by `pnpm dev`); the production build derives the URL from the page.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', sourcemap: true, chunkSizeWarningLimit: 600 },
  server: { port: 5173, strictPort: false },
})
