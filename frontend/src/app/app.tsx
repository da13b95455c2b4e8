import { AdminTokenDialog } from '@/components/admin-token-dialog';
import { I18nProvider } from '@/lib/i18n';
import { useLocation } from '@/lib/url-state';
import { LiveRoute } from './routes/live';
import { NotificationsRoute } from './routes/notifications';
import { SnapshotRoute } from './routes/snapshot';

const SNAPSHOT_PATH = /^\/snapshot\/([^/]+)\/?$/;
const NOTIFICATIONS_PATH = /^\/settings\/notifications\/?$/;

function Router() {
  const { pathname } = useLocation();
  const match = SNAPSHOT_PATH.exec(pathname);
  if (match) return <SnapshotRoute key={match[1]} id={decodeURIComponent(match[1]!)} />;
  if (NOTIFICATIONS_PATH.test(pathname)) return <NotificationsRoute />;
  return <LiveRoute />;
}

export function App() {
  return (
    <I18nProvider>
      <Router />
      <AdminTokenDialog />
    </I18nProvider>
  );
}
