import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// In development the page comes from Vite (port 5173) and the rooms from the Coedit server on
// its own port; the production build derives the sync URL from the page's origin instead.
export default defineConfig(({ command }) => ({
  plugins: [react()],
  build: { outDir: 'dist', sourcemap: true, chunkSizeWarningLimit: 600 },
  server: { port: 5173, strictPort: false },
  define: command === 'serve' && !process.env.VITE_SYNC_URL ? { 'import.meta.env.VITE_SYNC_URL': JSON.stringify('ws://127.0.0.1:1234') } : {},
}))
