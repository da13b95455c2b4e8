/// <reference types="vitest/config" />
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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

const HELPERS_ID = '\0chronoview-babel-helpers';
const HELPER_LINE = /^function (_\w+|ownKeys)\(/;

/**
 * Recharts' ES build carries Babel's helpers (`_defineProperty`, `_objectSpread`, …) inline in each
 * of its ~300 files: the first screen held some 250 copies. Each is the same one-line text, so every
 * file's copy is swapped for an import from one module holding a single copy of each. A line only
 * goes when it is exactly the text found first in the package, so a differing helper stays put.
 */
function sharedBabelHelpers(): Plugin {
  const root = join(dirname(createRequire(import.meta.url).resolve('recharts/package.json')), 'es6');
  const files = /[\\/]node_modules[\\/]recharts[\\/]es6[\\/].*\.js$/;
  const helpers = new Map<string, string>(); // name -> its one line of code
  return {
    name: 'chronoview-shared-babel-helpers',
    apply: 'build',
    buildStart() {
      helpers.clear();
      for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
        if (!file.endsWith('.js')) continue;
        for (const line of readFileSync(join(root, file), 'utf8').split('\n')) {
          const name = HELPER_LINE.exec(line)?.[1];
          if (name && !helpers.has(name)) helpers.set(name, line);
        }
      }
    },
    resolveId: (id) => (id === HELPERS_ID ? id : null),
    load: (id) => (id === HELPERS_ID ? [...helpers.values()].map((line) => `export ${line}`).join('\n') : null),
    transform(code, id) {
      if (!files.test(id)) return null;
      const shared: string[] = [];
      // Emptied lines, and the import on the first line: every other line keeps its number.
      const lines = code.split('\n').map((line) => {
        const name = HELPER_LINE.exec(line)?.[1];
        if (!name || helpers.get(name) !== line) return line;
        shared.push(name);
        return '';
      });
      if (!shared.length) return null;
      lines[0] = `import { ${shared.join(', ')} } from '${HELPERS_ID}'; ${lines[0]}`;
      return { code: lines.join('\n'), map: null };
    },
  };
}

// `base: '/'` keeps asset URLs absolute, so the same build loads from `/` and from
// `/snapshot/<id>` (the backend serves index.html for both).
export default defineConfig(({ mode }) => ({
  base: '/',
  plugins: [react(), sharedBabelHelpers(), preloadCatalog(loadEnv(mode, process.cwd(), 'VITE_').VITE_API_URL)],
  resolve: {
    alias: {
      '@': fileURLToPath(new URL('./src', import.meta.url)),
      // Only the scales our charts use (src/lib/chart-scales.ts), not all of d3-scale.
      'victory-vendor/d3-scale': fileURLToPath(new URL('./src/lib/chart-scales.ts', import.meta.url)),
    },
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
        // rest of what the entry imports statically is one chunk (`$initial`): left alone, the
        // modules the lazy chunks share with it became five small chunks of their own, each
        // compressed apart (2.1 kB more). The chart library is otherwise left to the automatic
        // split, so what only the lazy panels use (Recharts' BarChart, Bar, Tooltip) goes with
        // them, not into the first screen.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/, priority: 1 },
            { name: 'app', tags: ['$initial'] },
          ],
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
