/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv, type Plugin } from 'vite';

/**
 * The page asks for the catalog (GET /metrics) first; a preload in index.html starts that request
 * while the JS is still loading. Only when the API is the page's own origin (no VITE_API_URL).
 */
function preloadCatalog(apiUrl: string | undefined): Plugin {
  return {
    name: 'chronoview-preload-catalog',
    transformIndexHtml: () =>
      apiUrl ? [] : [{ tag: 'link', attrs: { rel: 'preload', href: '/metrics', as: 'fetch', crossorigin: 'anonymous' }, injectTo: 'head' }],
  };
}

// `base: '/'` keeps asset URLs absolute, so the same build loads from `/` and from
// `/snapshot/<id>` (the backend serves index.html for both).
export default defineConfig(({ mode }) => ({
  base: '/',
  plugins: [react(), preloadCatalog(loadEnv(mode, process.cwd(), 'VITE_').VITE_API_URL)],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  server: {
    // `npm run dev` talks to a backend on :8000 through the same origin, like production.
    proxy: {
      '/metrics': 'http://127.0.0.1:8000',
      '/alerts': 'http://127.0.0.1:8000',
      '/export': 'http://127.0.0.1:8000',
      '/snapshots': 'http://127.0.0.1:8000',
      '/health': 'http://127.0.0.1:8000',
      '/ws': { target: 'ws://127.0.0.1:8000', ws: true },
    },
  },
  build: {
    outDir: 'dist',
    sourcemap: false,
    chunkSizeWarningLimit: 900,
    rolldownOptions: {
      output: {
        // React changes less often than the app: its own chunk stays cached across releases. The
        // chart library is left to the automatic split, so what only the lazy panels use (Recharts'
        // BarChart, Bar, Tooltip) goes with them, not into the first screen.
        codeSplitting: {
          groups: [{ name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ }],
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/testing/setup-tests.ts'],
    include: ['src/**/__tests__/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
}));
