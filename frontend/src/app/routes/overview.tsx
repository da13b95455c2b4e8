import { Overview } from '@/features/overview/components/overview';
import { useDashboardQuery } from '@/lib/url-state';

/** `/?view=overview&range=15m`: every metric at a glance. */
export default function OverviewRoute() {
  const [query, setQuery] = useDashboardQuery();
  return <Overview range={query.range} onRangeChange={(range) => setQuery({ range })} />;
}
