import { lazy, Suspense } from 'react';
import { I18nProvider } from '@/lib/i18n';
import { ThemeProvider } from '@/lib/theme';
import { useLocation } from '@/lib/url-state';
import { LiveRoute } from './routes/live';

const SNAPSHOT_PATH = /^\/snapshot\/([^/]+)\/?$/;
/** A chunk of its own: the live page, the one most opened, does not load it. */
const SnapshotRoute = lazy(() => import('./routes/snapshot'));

function Router() {
  const { pathname } = useLocation();
  const match = SNAPSHOT_PATH.exec(pathname);
  if (match) {
    return (
      <Suspense fallback={null}>
        <SnapshotRoute key={match[1]} id={decodeURIComponent(match[1]!)} />
      </Suspense>
    );
  }
  return <LiveRoute />;
}

export function App() {
  return (
    <ThemeProvider>
      <I18nProvider>
        <Router />
      </I18nProvider>
    </ThemeProvider>
  );
}
