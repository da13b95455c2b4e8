import { lazy, Suspense } from 'react';
import { AdminTokenDialog } from '@/components/admin-token-dialog';
import { I18nProvider } from '@/lib/i18n';
import { ThemeProvider } from '@/lib/theme';
import { useLocation } from '@/lib/url-state';
import { LiveRoute } from './routes/live';

// The overview and compare views load on first use (`?view=overview`, `?view=compare`).
const OverviewRoute = lazy(() => import('./routes/overview'));
const CompareRoute = lazy(() => import('./routes/compare'));

const SNAPSHOT_PATH = /^\/snapshot\/([^/]+)\/?$/;
/** A chunk of its own: the live page, the one most opened, does not load it. */
const SnapshotRoute = lazy(() => import('./routes/snapshot'));
const NotificationsRoute = lazy(() => import('./routes/notifications'));
const NOTIFICATIONS_PATH = /^\/settings\/notifications\/?$/;

function Router() {
  const { pathname, search } = useLocation();
  const match = SNAPSHOT_PATH.exec(pathname);
  if (match) {
    return (
      <Suspense fallback={null}>
        <SnapshotRoute key={match[1]} id={decodeURIComponent(match[1]!)} />
      </Suspense>
    );
  }
  const view = new URLSearchParams(search).get('view');
  if (view === 'overview' || view === 'compare') {
    return <Suspense fallback={null}>{view === 'overview' ? <OverviewRoute /> : <CompareRoute />}</Suspense>;
  }
  if (NOTIFICATIONS_PATH.test(pathname)) {
    return (
      <Suspense fallback={null}>
        <NotificationsRoute />
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
        <AdminTokenDialog />
      </I18nProvider>
    </ThemeProvider>
  );
}
