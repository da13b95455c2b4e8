import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { getSnapshot } from '@/features/live-metrics/api/snapshots';
import type { Snapshot } from '@/features/live-metrics/api/types';
import { Dashboard } from '@/features/live-metrics/components/dashboard';
import { LanguageSelect } from '@/components/language-select';
import { PageHeader } from '@/components/page-header';
import { ThemeSelect } from '@/components/theme-select';
import { ApiError } from '@/lib/api-client';
import { useI18n } from '@/lib/i18n';
import { DEFAULT_RANGE, isTimeRange, rangeFromHours, type TimeRange } from '@/lib/time-range';
import { isMetricName, navigate, writeQuery } from '@/lib/url-state';
import { compareFromState, writeCompareQuery } from '@/features/compare/lib/window';

const CompareView = lazy(() => import('@/features/compare/components/compare-view').then((m) => ({ default: m.CompareView })));

/** The metric and range a snapshot's state restores. */
export function restoreState(state: Record<string, unknown>): { metric: string | null; range: TimeRange } {
  const metric = isMetricName(state.selectedMetric) ? state.selectedMetric : null;
  const range = isTimeRange(state.range) ? state.range : (rangeFromHours(state.timeRangeHours) ?? DEFAULT_RANGE);
  return { metric, range };
}

/** `/snapshot/<id>`: the saved state, frozen, with a way back to live. */
export function SnapshotRoute({ id }: { id: string }) {
  const { t } = useI18n();
  const [result, setResult] = useState<{ snapshot: Snapshot } | { error: 'missing' | 'failed' } | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    setResult(null);
    getSnapshot(id, controller.signal)
      .then((snapshot) => setResult({ snapshot }))
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        const missing = error instanceof ApiError && (error.status === 404 || error.status === 422);
        setResult({ error: missing ? 'missing' : 'failed' });
      });
    return () => controller.abort();
  }, [id]);

  const restored = useMemo(
    () => (result && 'snapshot' in result ? restoreState(result.snapshot.state) : { metric: null, range: DEFAULT_RANGE }),
    [result],
  );

  const goLive = useCallback(
    (patch: { metric?: string | null; range?: TimeRange } = {}) => {
      navigate(`/${writeQuery('', { metric: restored.metric, range: restored.range, ...patch })}`);
    },
    [restored],
  );

  const source = useMemo(
    () =>
      result && 'snapshot' in result
        ? {
            createdAt: result.snapshot.createdAt,
            data: result.snapshot.data,
            window: result.snapshot.window,
            onGoLive: () => goLive(),
          }
        : null,
    [result, goLive],
  );

  if (!result || 'error' in result) {
    return (
      <div className="app-shell">
        <PageHeader title={t('appTitle')}>
          <div className="topbar-end">
            <LanguageSelect />
            <ThemeSelect />
          </div>
        </PageHeader>
        <div className="snapshot-banner" data-testid="snapshot-banner" role="region" aria-label={t('snapshot')}>
          <strong>
            {!result ? t('snapshotLoading') : result.error === 'missing' ? t('snapshotMissing') : t('loadFailed')}
          </strong>
          <button type="button" className="button button-primary" data-testid="go-live" onClick={() => navigate('/')}>
            {t('goLive')}
          </button>
        </div>
      </div>
    );
  }

  const compare = compareFromState(result.snapshot.state);
  if (compare) {
    const back = () => navigate(`/${writeCompareQuery({ ...compare, from: null, to: null })}`);
    return (
      <Suspense fallback={null}>
        <CompareView query={compare} onChange={() => back()} snapshot={{ createdAt: result.snapshot.createdAt, onGoLive: back }} />
      </Suspense>
    );
  }

  return (
    <Dashboard
      metric={restored.metric}
      range={restored.range}
      onChange={(patch) => goLive(patch)}
      snapshot={source}
    />
  );
}

export default SnapshotRoute;
