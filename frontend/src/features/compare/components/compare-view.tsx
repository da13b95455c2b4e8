import { useCallback, useMemo } from 'react';
import { LanguageSelect } from '@/components/language-select';
import { PageHeader } from '@/components/page-header';
import { Select } from '@/components/select';
import { TableHead } from '@/components/table-head';
import { TimeControls } from '@/components/time-controls';
import { ViewNav } from '@/components/view-nav';
import { useTimeWindow } from '@/hooks/use-time-window';
import type { WebSocketFactory } from '@/hooks/use-websocket';
import { useI18n } from '@/lib/i18n';
import { rangeHours } from '@/lib/time-range';
import { useIncidentStream } from '@/features/incidents/hooks/use-incidents';
import { SnapshotButton } from '@/features/live-metrics/components/snapshot-button';
import type { SnapshotState } from '@/features/live-metrics/api/types';
import { useCatalog } from '@/features/live-metrics/hooks/use-catalog';
import { useMultiSeries, useUnits } from '../hooks/use-multi-series';
import { axisSides, legendStats, MAX_METRICS, type CompareQuery, type Layout } from '../lib/window';
import { MultiChart, SERIES_COLORS, type ChartSeries } from './multi-chart';
import './compare.css';

export interface CompareViewProps {
  query: CompareQuery;
  onChange: (next: CompareQuery) => void;
  /** A snapshot: the saved window, no socket, no editing of the choice. */
  snapshot?: { createdAt: number | null; onGoLive: () => void } | null;
  createSocket?: WebSocketFactory;
  /** The incident stream's socket (`incidents=1`); the browser's WebSocket unless given. */
  createIncidentSocket?: WebSocketFactory;
}

/** Up to eight metrics on one chart (an axis per unit) or stacked with a shared cursor, one legend. */
export function CompareView({ query, onChange, snapshot = null, createSocket, createIncidentSocket }: CompareViewProps) {
  const { t, fmt, language } = useI18n();
  const catalog = useCatalog(snapshot === null);
  // A metric joins (or leaves) the picker the moment the stream announces it; the catalog poll is
  // the fallback, and each open of the socket reads it again for what was announced while there
  // was none (down, or not yet subscribed after the first read).
  useIncidentStream({
    onMessage: catalog.applyMessage,
    onOpen: catalog.reload,
    createSocket: createIncidentSocket,
    enabled: snapshot === null,
  });
  // A snapshot shows its saved window; live, the window is the URL's (the route's query reads it too).
  const saved = useMemo(
    () => (query.from !== null && query.to !== null ? { from: query.from, to: query.to } : null),
    [query.from, query.to],
  );
  const time = useTimeWindow(query.range, snapshot ? { frozen: saved } : {});
  const { from, to, live, fixed } = time;
  const { series: points, connection, state } = useMultiSeries({
    metrics: query.metrics,
    range: query.range,
    fixed,
    live: snapshot === null,
    createSocket,
  });
  const units = useUnits(query.metrics);
  const sides = axisSides(query.metrics, units);
  const series: ChartSeries[] = query.metrics.map((metric, i) => ({
    metric,
    points: points[i] ?? [],
    color: SERIES_COLORS[i % SERIES_COLORS.length]!,
    side: sides[i]!,
    unit: units[metric] ?? null,
  }));

  const set = useCallback((patch: Partial<CompareQuery>) => onChange({ ...query, ...patch }), [onChange, query]);

  const getSnapshotState = useCallback(
    (): SnapshotState => ({
      selectedMetric: query.metrics[0] ?? null,
      timeRangeHours: live ? rangeHours(query.range) : (to - from) / 3_600_000,
      layout: { panels: ['compare'], view: 'compare', metrics: query.metrics, mode: query.layout },
      range: query.range,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      language,
      savedAt: new Date().toISOString(),
    }),
    [query, live, from, to, language],
  );

  const addable = catalog.entries.map((e) => e.metric).filter((m) => !query.metrics.includes(m));
  const height = query.layout === 'overlay' ? 360 : Math.max(140, Math.floor(480 / Math.max(1, series.length)));

  return (
    <div className="app-shell">
      <PageHeader title={t('appTitle')} tagline={t('compareTitle')}>
        <ViewNav current="compare" range={query.range} />
        <div className="topbar-end">
          {snapshot ? null : (
            <span className={`badge badge-${connection.state}`} data-testid="connection-badge" data-state={live ? connection.state : 'paused'}>
              {live ? t(`state_${connection.state}`) : t('timeCustom')}
            </span>
          )}
          <LanguageSelect />
        </div>
      </PageHeader>

      {snapshot ? (
        <div className="snapshot-banner" data-testid="snapshot-banner" role="region" aria-label={t('snapshot')}>
          <strong>{t('compareTitle')}</strong>
          {snapshot.createdAt ? <span> · {fmt.dateTime(snapshot.createdAt)}</span> : null}
          <button type="button" className="button button-primary" data-testid="go-live" onClick={snapshot.onGoLive}>
            {t('goLive')}
          </button>
        </div>
      ) : null}

      <div className="toolbar compare-toolbar">
        {snapshot ? null : (
          <>
            <Select
              label={t('compareMetrics', { max: MAX_METRICS })}
              testId="compare-add"
              value=""
              options={[{ value: '', label: '+' }, ...addable.map((metric) => ({ value: metric, label: metric }))]}
              disabled={query.metrics.length >= MAX_METRICS}
              onChange={(metric) => metric && set({ metrics: [...query.metrics, metric] })}
            />
            <Select<Layout>
              label={t('layout')}
              testId="compare-layout"
              value={query.layout}
              options={[
                { value: 'overlay', label: t('layoutOverlay') },
                { value: 'stacked', label: t('layoutStacked') },
              ]}
              onChange={(layout) => set({ layout })}
            />
            <TimeControls range={query.range} window={time} onRange={(range) => set({ range, from: null, to: null })} />
            <SnapshotButton getState={getSnapshotState} disabled={!query.metrics.length} />
          </>
        )}
      </div>

      <main className="compare-main">
        <p className="panel-hint">{t('zoomHint')}</p>
        {query.layout === 'overlay' ? (
          <MultiChart series={series} drawn={series.map((_, i) => i)} from={from} to={to} height={height} follow={live} onZoom={time.zoom} onPan={time.pan} onReset={time.reset} />
        ) : (
          series.map((s, i) => (
            <MultiChart key={s.metric} series={series} drawn={[i]} from={from} to={to} height={height} follow={live} onZoom={time.zoom} onPan={time.pan} onReset={time.reset} />
          ))
        )}
        {state === 'error' ? <p className="inline-error">{t('loadFailed')}</p> : null}
        <table className="compare-legend" data-testid="compare-legend">
          <TableHead columns={[t('metric'), t('legendMin'), t('legendMax'), t('legendLast'), t('pointsLabel'), '']} />
          <tbody>
            {series.map((s) => {
              const stats = legendStats(s.points, from, to);
              const unit = s.unit ? ` ${s.unit}` : '';
              return (
                <tr key={s.metric} data-testid="legend-row" data-metric={s.metric} data-count={stats.count} data-side={s.side}>
                  <th scope="row">
                    <span className="legend-swatch" style={{ background: s.color }} />
                    {s.metric}
                  </th>
                  <td data-testid="legend-min">{fmt.number(stats.min)}{unit}</td>
                  <td data-testid="legend-max">{fmt.number(stats.max)}{unit}</td>
                  <td data-testid="legend-last">{fmt.number(stats.last)}{unit}</td>
                  <td data-testid="legend-count">{fmt.integer(stats.count)}</td>
                  <td>
                    {snapshot ? null : (
                      <button
                        type="button"
                        className="button"
                        data-testid="legend-remove"
                        aria-label={`${t('dismiss')} ${s.metric}`}
                        onClick={() => set({ metrics: query.metrics.filter((m) => m !== s.metric) })}
                      >
                        ×
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </main>
    </div>
  );
}
