import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { LanguageSelect } from '@/components/language-select';
import { ThemeSelect } from '@/components/theme-select';
import { TimeControls } from '@/components/time-controls';
import { ViewNav } from '@/components/view-nav';
import { fetchEffectiveRule, type Incident, type RuleFields } from '@/features/incidents/api/incidents';
import { FiringIndicator } from '@/features/incidents/components/firing-indicator';
import { IncidentNotice } from '@/features/incidents/components/incident-notice';
import { useIncidents } from '@/features/incidents/hooks/use-incidents';
import { NotificationsLink } from '@/components/notifications-link';
import { useThrottledStore } from '@/hooks/use-throttled-store';
import { useTimeWindow } from '@/hooks/use-time-window';
import type { WebSocketFactory } from '@/hooks/use-websocket';
import { gapThreshold } from '@/lib/gaps';
import { useI18n } from '@/lib/i18n';
import { NO_META, type MetricMeta } from '@/lib/metric-format';
import { toRfc3339 } from '@/lib/time';
import { rangeHours, rangeMs, type TimeRange } from '@/lib/time-range';
import type { AlertItem, SnapshotState } from '../api/types';
import { useAlertFeed } from '../hooks/use-alert-feed';
import { useAlertNotifications } from '../hooks/use-alert-notifications';
import { useCatalog } from '../hooks/use-catalog';
import { latestBaseline, useLiveSeries } from '../hooks/use-live-series';
import { useSnapshotSeries, type SnapshotSource } from '../hooks/use-snapshot-series';
import { AlertFeed } from './alert-feed';
import { LineChartPanel } from './chart-panels';
import { ConnectionBadge } from './connection-badge';
import { ExportLinks } from './export-links';
import { MetricControls } from './metric-controls';
import { NotificationToggle } from './notification-toggle';
import { SingleStat } from './single-stat';
import { SnapshotBanner } from './snapshot-banner';
import { SnapshotButton } from './snapshot-button';
import './honest-display.css';

export const PANELS = ['single-stat', 'line', 'bar', 'alerts'];
/** Not needed for the first screen: fetched once the line chart has drawn and its data is in. */
const BarChartPanel = lazy(() => import('./bar-panel'));
const IncidentHistory = lazy(() =>
  import('@/features/incidents/components/incident-history').then((module) => ({ default: module.IncidentHistory })),
);
const RuleEditor = lazy(() =>
  import('@/features/incidents/components/rule-editor').then((module) => ({ default: module.RuleEditor })),
);
/** The stat and counters re-render at most this often, however fast points (or a backfill) arrive. */
const RENDER_INTERVAL_MS = 250;
/** How often the metric's rule (its k) is re-read while live. */
const RULE_REFRESH_MS = 10_000;

export interface DashboardProps {
  metric: string | null;
  range: TimeRange;
  onChange: (patch: { metric?: string; range?: TimeRange }, options?: { replace?: boolean }) => void;
  /** Present on /snapshot/<id>: no socket, data from the snapshot. */
  snapshot?: (SnapshotSource & { onGoLive: () => void }) | null;
  createSocket?: WebSocketFactory;
  /** The incident stream's socket (`incidents=1`); the browser's WebSocket unless given. */
  createIncidentSocket?: WebSocketFactory;
}

export function Dashboard({
  metric: requested,
  range,
  onChange,
  snapshot = null,
  createSocket,
  createIncidentSocket,
}: DashboardProps) {
  const { t, fmt, language } = useI18n();
  const live = snapshot === null;
  const catalog = useCatalog();
  // A fixed window (zoomed, panned or picked; in the URL) stops live following until "Resume live".
  const time = useTimeWindow(range, live ? {} : { frozen: null });
  const fixed = time.fixed;
  const zoom = useMemo(() => ({ onZoom: time.zoom, onPan: time.pan, onReset: time.reset }), [time.zoom, time.pan, time.reset]);

  // Without a metric in the URL, show the first one the server knows (traffic if there is one).
  // It is shown at once (its history is asked for in this render), and the URL follows.
  const fallback =
    live && !requested && catalog.entries.length
      ? (catalog.entries.find((entry) => entry.metric === 'traffic') ?? catalog.entries[0]!).metric
      : null;
  const metric = requested ?? fallback;
  useEffect(() => {
    if (fallback) onChange({ metric: fallback }, { replace: true });
  }, [fallback, onChange]);

  const notifications = useAlertNotifications((alert) => ({
    title: `${t('incidentOpened')}: ${alert.metric}`,
    body: t('alertLine', { metric: alert.metric, value: fmt.number(alert.value), z: fmt.zscore(alert.zscore) }),
  }));
  const feed = useAlertFeed(metric, range, { live, window: fixed });
  const { add: addAlert } = feed;
  const onAlert = useCallback((alert: AlertItem) => addAlert(alert), [addAlert]);

  // Incidents of every metric: one notice (and at most one browser notification) per opened
  // incident, wherever it is; a quiet note when one resolves.
  const [opened, setOpened] = useState<Incident | null>(null);
  const { announce } = notifications;
  const onOpened = useCallback(
    (incident: Incident) => {
      setOpened(incident);
      announce({
        metric: incident.metric,
        value: incident.peakValue,
        ts: incident.startedAt,
        tsRaw: new Date(incident.startedAt).toISOString(),
        zscore: incident.peakZscore,
      });
    },
    [announce],
  );
  const incidents = useIncidents({
    onOpened,
    onOtherMessage: catalog.applyMessage,
    onConnect: catalog.reload,
    createSocket: createIncidentSocket,
    enabled: live,
  });
  useEffect(() => {
    if (!opened) return;
    const timer = setTimeout(() => setOpened(null), 10_000);
    return () => clearTimeout(timer);
  }, [opened]);
  const [ruleVersion, setRuleVersion] = useState(0);
  // The metric's rule in force, from the server: its k draws the band and the thresholds (the band
  // the server alerts on), its for_points counts "pending k of n". Unknown until it answers; re-read
  // while live, since a rule changed elsewhere applies to the next point (SPEC §10).
  const [rule, setRule] = useState<RuleFields | null>(null);
  useEffect(() => setRule(null), [metric]);
  useEffect(() => {
    if (!metric) return;
    const controller = new AbortController();
    const load = () =>
      fetchEffectiveRule(metric, controller.signal)
        .then((effective) =>
          setRule((current) => (JSON.stringify(current) === JSON.stringify(effective.values) ? current : effective.values)),
        )
        .catch(() => undefined);
    void load();
    const timer = live ? setInterval(load, RULE_REFRESH_MS) : undefined;
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [metric, live, ruleVersion]);
  const k = rule?.sigma ?? null;
  const firingHere = incidents.firing.find((incident) => incident.metric === metric) ?? null;

  const [lineDrawn, setLineDrawn] = useState(false);
  const onLineDrawn = useCallback(() => setLineDrawn(true), []);

  const entry = metric ? catalog.entries.find((candidate) => candidate.metric === metric) : undefined;
  const meta = useMetricMeta(entry?.unit ?? null, entry?.label ?? null, entry?.decimals ?? null);
  // A metric the server does not know: say so, and open no socket that would wait for it
  // forever. Its first point is announced on the incidents socket and brings it to life.
  const unknown = live && metric !== null && catalog.loaded && !catalog.error && entry === undefined;
  const { buffer, connection, outages, arrivedAt, historyState } = useLiveSeries({
    metric,
    range,
    live,
    connect: !unknown,
    window: fixed,
    onAlert,
    createSocket,
  });
  const frozen = useSnapshotSeries(buffer, snapshot, metric, range);
  const { points } = useThrottledStore(buffer, RENDER_INTERVAL_MS);

  const latest = points[points.length - 1];
  const baseline = useMemo(() => latestBaseline(points), [points]);
  const staleAfterMs = useMemo(() => gapThreshold(points.map((point) => point.ts)), [points]);
  // The window drawn: a snapshot's, the fixed one, or the range ending at the newest point.
  const window = snapshot?.window ?? fixed;
  const shownMs = window ? window.to - window.from : rangeMs(range);
  const alerts = live ? feed.alerts : frozen.alerts;
  const catalogState = !catalog.loaded ? 'loading' : catalog.error && !catalog.entries.length ? 'error' : 'ready';
  const loadState = !live ? frozen.state : metric ? historyState : catalogState;
  // No socket is opened for an unknown metric, so its idle "offline" says nothing about the server.
  // Nor is one opened for a fixed window, which asks for its history only.
  const serverDown = live && (catalogState === 'error' || (connection.state === 'offline' && !unknown && !fixed));
  // The first data is in (or known not to come): what the first screen waits for.
  const firstDataSettled = loadState !== 'loading' && (metric !== null || !live || !catalog.entries.length);
  // What lies below the first screen waits for it (its code is fetched then, not before).
  const firstScreenDone = lineDrawn && firstDataSettled;

  const getSnapshotState = useCallback((): SnapshotState => {
    // The absolute window on screen, so the snapshot freezes and exports exactly these rows.
    const now = Date.now();
    const shown = fixed ?? { from: now - rangeMs(range), to: now };
    return {
      selectedMetric: metric,
      timeRangeHours: fixed ? (fixed.to - fixed.from) / 3_600_000 : rangeHours(range),
      layout: { panels: PANELS },
      range,
      language,
      savedAt: new Date(now).toISOString(),
      from: toRfc3339(shown.from),
      to: toRfc3339(shown.to),
    };
  }, [metric, range, language, fixed]);

  const emptyMessage =
    loadState === 'loading'
      ? null
      : serverDown
        ? t('offlineHint')
        : unknown && metric
          ? t('unknownMetric', { metric })
        : live && !metric && catalogState === 'ready'
          ? t('noMetricsHint')
          : t('noDataHint');
  const retry = () => {
    catalog.reload();
    connection.reconnectNow();
  };

  return (
    <div className="app-shell">
      <a className="skip-link" href="#line-chart-panel">
        {t('skipToContent')}
      </a>
      <header className="topbar">
        <div className="brand">
          <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
            <polyline points="4,22 10,16 15,19 21,8 28,13" />
            <circle cx="21" cy="8" r="3" />
          </svg>
          <div>
            <h1 className="brand-name">{t('appTitle')}</h1>
            <p className="brand-tagline">{t('appTagline')}</p>
          </div>
        </div>
        <ViewNav current="dashboard" range={range} metric={metric} />
        <MetricControls
          catalog={catalog.entries}
          metric={metric}
          range={range}
          onMetricChange={(next) => onChange({ metric: next })}
          onRangeChange={(next) => onChange({ range: next })}
          custom={fixed !== null}
        />
        <div className="topbar-end">
          {live ? <FiringIndicator firing={incidents.firing} onSelect={(next) => onChange({ metric: next })} /> : null}
          <ConnectionBadge
            state={live ? (metric ? connection.state : catalogState === 'loading' ? 'reconnecting' : 'offline') : 'offline'}
            nextRetryAt={connection.nextRetryAt}
            fatal={connection.fatal}
            snapshot={!live}
            paused={fixed !== null}
            waiting={unknown && !serverDown}
            onRetry={retry}
          />
          <NotificationsLink />
          <LanguageSelect />
          <ThemeSelect />
        </div>
      </header>

      {snapshot ? (
        <SnapshotBanner
          metric={metric}
          range={range}
          createdAt={snapshot.createdAt}
          frozen={Boolean(snapshot.data && metric && snapshot.data.series[metric])}
          onGoLive={snapshot.onGoLive}
        />
      ) : null}

      <section className="toolbar" aria-label={t('toolbarLabel')}>
        <SnapshotButton getState={getSnapshotState} disabled={!metric} />
        <ExportLinks metric={metric} range={range} window={window} />
        <NotificationToggle
          permission={notifications.permission}
          enabled={notifications.enabled}
          onEnable={() => void notifications.enable()}
          onDisable={notifications.disable}
        />
      </section>

      <main className="grid">
        <SingleStat
          metric={metric}
          latest={latest}
          baseline={baseline}
          live={live}
          source={!live ? 'snapshot' : fixed ? 'window' : connection.state === 'live' ? 'live' : 'down'}
          staleAfterMs={staleAfterMs}
          arrivedAt={latest ? arrivedAt(latest.ts) : undefined}
          meta={meta}
          firingSince={firingHere?.startedAt ?? null}
          forPoints={rule?.for_points ?? 1}
          k={k}
        />

        <section className="panel line-panel" id="line-chart-panel" tabIndex={-1} aria-labelledby="line-title">
          <h2 id="line-title" className="panel-title">
            {live ? t('lineTitle') : t('value')}
            <span className="panel-subtitle" data-testid="line-window">
              {' · '}
              {fixed ? `${fmt.dateTime(fixed.from)} – ${fmt.dateTime(fixed.to)}` : t(`range_${range}`)}
            </span>
          </h2>
          <LineChartPanel
            buffer={buffer}
            rangeMs={shownMs}
            end={window?.to ?? snapshot?.createdAt ?? null}
            outages={outages}
            meta={meta}
            emptyMessage={emptyMessage}
            loading={loadState === 'loading'}
            label={t('lineChartLabel', { metric: metric ?? '—', range: t(`range_${range}`) })}
            onDrawn={onLineDrawn}
            k={k}
            zoom={live ? zoom : null}
          />
          {live ? <TimeControls range={range} window={time} onRange={(next) => onChange({ range: next })} presets={false} /> : null}
          <p className="panel-footer">
            <span>
              <span data-testid="point-count">{points.length}</span>{' '}
              {new Intl.PluralRules(fmt.locale).select(points.length) === 'one' ? t('pointOne') : t('pointsLabel')}
            </span>
            {latest ? (
              <span>
                {' · '}
                <time data-testid="last-ts" dateTime={latest.tsRaw} data-ts={latest.tsRaw}>
                  {fmt.dateTime(latest.ts)}
                </time>
              </span>
            ) : (
              <span data-testid="last-ts" data-ts="" hidden />
            )}
            {metric && loadState === 'error' ? <span className="inline-error"> · {t('loadFailed')}</span> : null}
          </p>
        </section>

        <section className="panel bar-panel" aria-labelledby="bar-title">
          <h2 id="bar-title" className="panel-title">
            {t('barTitle')}
          </h2>
          <p className="panel-hint">{t('barHint', { k: k === null ? '—' : fmt.number(k) })}</p>
          <div className="chart-frame">
            {firstScreenDone ? (
              <Suspense fallback={null}>
                <BarChartPanel
                  buffer={buffer}
                  showEmpty={Boolean(emptyMessage)}
                  label={t('barChartLabel', { metric: metric ?? '—' })}
                  k={k}
                />
              </Suspense>
            ) : null}
          </div>
        </section>

        <AlertFeed alerts={alerts} error={live && (feed.error || serverDown)} />
        {live && firstScreenDone ? (
          <Suspense fallback={null}>
            <IncidentHistory metric={metric} refreshKey={incidents.firing.length} />
            {metric ? <RuleEditor metric={metric} onSaved={() => setRuleVersion((v) => v + 1)} /> : null}
          </Suspense>
        ) : null}
      </main>

      <IncidentNotice
        opened={opened}
        resolved={incidents.resolved}
        onDismiss={() => setOpened(null)}
        onDismissResolved={incidents.dismissResolved}
        onSelect={(next) => onChange({ metric: next })}
      />
    </div>
  );
}

/** The meta as one object that keeps its identity while its fields do (charts memoise on it). */
function useMetricMeta(unit: string | null, label: string | null, decimals: number | null): MetricMeta {
  return useMemo(
    () => (unit === null && label === null && decimals === null ? NO_META : { unit, label, decimals }),
    [unit, label, decimals],
  );
}
