import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';
import { LANGUAGES, loadLanguage } from '@/lib/i18n';

// Every language at hand, so a component renders in Spanish as synchronously as in English (the
// app fetches Spanish the first time it is chosen; I18nProvider's own test covers that).
await Promise.all(LANGUAGES.map(loadLanguage));

// Pure-logic test files opt into the faster `node` environment; the rest runs in jsdom.
const hasDom = typeof window !== 'undefined';

if (hasDom) {
  // Recharts' ResponsiveContainer measures its parent; jsdom has no layout engine.
  class ResizeObserverStub {
    observe() {}
    unobserve() {}
    disconnect() {}
  }
  globalThis.ResizeObserver ??= ResizeObserverStub as unknown as typeof ResizeObserver;

  if (!window.matchMedia) {
    window.matchMedia = (query: string) =>
      ({
        matches: false,
        media: query,
        onchange: null,
        addEventListener: () => {},
        removeEventListener: () => {},
        addListener: () => {},
        removeListener: () => {},
        dispatchEvent: () => false,
      }) as MediaQueryList;
  }

  afterEach(() => {
    cleanup();
    localStorage.clear();
    window.history.replaceState(null, '', '/');
  });
}
