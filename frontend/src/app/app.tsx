import { I18nProvider } from '@/lib/i18n';
import { useLocation } from '@/lib/url-state';
import { LiveRoute } from './routes/live';
import { SnapshotRoute } from './routes/snapshot';

const SNAPSHOT_PATH = /^\/snapshot\/([^/]+)\/?$/;

function Router() {
  const { pathname } = useLocation();
  const match = SNAPSHOT_PATH.exec(pathname);
  if (match) return <SnapshotRoute key={match[1]} id={decodeURIComponent(match[1]!)} />;
  return <LiveRoute />;
}

export function App() {
  return (
    <I18nProvider>
      <Router />
    </I18nProvider>
  );
}
