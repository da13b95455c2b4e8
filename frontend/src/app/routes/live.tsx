import { Dashboard } from '@/features/live-metrics/components/dashboard';
import { useDashboardQuery } from '@/lib/url-state';

/** `/?metric=traffic&range=1h`: the live dashboard, its state in the query string. */
export function LiveRoute() {
  const [query, setQuery] = useDashboardQuery();
  return <Dashboard metric={query.metric} range={query.range} onChange={setQuery} />;
}
