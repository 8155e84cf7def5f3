import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev --prefix web` serves the app with hot reload and sends the server's paths to an Arbiter on :3000.
const server = process.env.ARBITER_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 800 },
  server: {
    proxy: {
      '/api': { target: server, changeOrigin: false },
      '/s/': { target: server },
      '/ws': { target: server.replace(/^http/, 'ws'), ws: true },
    },
  },
});
