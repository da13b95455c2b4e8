import { useCallback, useEffect, useMemo, useState } from 'react';
import { fetchEffectiveRule, type Incident } from '@/features/incidents/api/incidents';
import { FiringIndicator } from '@/features/incidents/components/firing-indicator';
import { IncidentHistory } from '@/features/incidents/components/incident-history';
import { IncidentNotice } from '@/features/incidents/components/incident-notice';
import { RuleEditor } from '@/features/incidents/components/rule-editor';
import { useIncidents } from '@/features/incidents/hooks/use-incidents';
import { LanguageSelect } from '@/components/language-select';
import { useThrottledStore } from '@/hooks/use-throttled-store';
import type { WebSocketFactory } from '@/hooks/use-websocket';
import { useI18n } from '@/lib/i18n';
import { rangeHours, rangeMs, type TimeRange } from '@/lib/time-range';
import type { AlertItem, SnapshotState } from '../api/types';
import { useAlertFeed } from '../hooks/use-alert-feed';
import { useAlertNotifications } from '../hooks/use-alert-notifications';
import { useCatalog } from '../hooks/use-catalog';
import { latestBaseline, useLiveSeries } from '../hooks/use-live-series';
import { useSnapshotSeries, type SnapshotSource } from '../hooks/use-snapshot-series';
import { AlertFeed } from './alert-feed';
import { ALERT_SIGMA } from './chart-colors';
import { BarChartPanel, LineChartPanel } from './chart-panels';
import { ConnectionBadge } from './connection-badge';
import { ExportLinks } from './export-links';
import { MetricControls } from './metric-controls';
import { NotificationToggle } from './notification-toggle';
import { SingleStat } from './single-stat';
import { SnapshotBanner } from './snapshot-banner';
import { SnapshotButton } from './snapshot-button';

export const PANELS = ['single-stat', 'line', 'bar', 'alerts'];
/** The stat and counters re-render at most this often, however fast points (or a backfill) arrive. */
const RENDER_INTERVAL_MS = 250;

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
  metric,
  range,
  onChange,
  snapshot = null,
  createSocket,
  createIncidentSocket,
}: DashboardProps) {
  const { t, fmt, language } = useI18n();
  const live = snapshot === null;
  const catalog = useCatalog();

  // Without a metric in the URL, show the first one the server knows (traffic if there is one).
  useEffect(() => {
    if (!live || metric || !catalog.entries.length) return;
    const preferred = catalog.entries.find((entry) => entry.metric === 'traffic') ?? catalog.entries[0]!;
    onChange({ metric: preferred.metric }, { replace: true });
  }, [live, metric, catalog.entries, onChange]);

  const notifications = useAlertNotifications((alert) => ({
    title: `${t('incidentOpened')}: ${alert.metric}`,
    body: t('alertLine', { metric: alert.metric, value: fmt.number(alert.value), z: fmt.zscore(alert.zscore) }),
  }));
  const feed = useAlertFeed(metric, range, { live });
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
  const incidents = useIncidents({ onOpened, createSocket: createIncidentSocket, enabled: live });
  useEffect(() => {
    if (!opened) return;
    const timer = setTimeout(() => setOpened(null), 10_000);
    return () => clearTimeout(timer);
  }, [opened]);
  const [ruleVersion, setRuleVersion] = useState(0);
  const [forPoints, setForPoints] = useState(1);
  useEffect(() => {
    if (!metric || !live) return;
    const controller = new AbortController();
    fetchEffectiveRule(metric, controller.signal)
      .then((rule) => setForPoints(rule.values.for_points))
      .catch(() => undefined);
    return () => controller.abort();
  }, [metric, live, ruleVersion]);
  const firingHere = incidents.firing.find((incident) => incident.metric === metric) ?? null;

  const { buffer, connection, historyState } = useLiveSeries({ metric, range, live, onAlert, createSocket });
  const frozen = useSnapshotSeries(buffer, snapshot, metric, range);
  const { points } = useThrottledStore(buffer, RENDER_INTERVAL_MS);

  const latest = points[points.length - 1];
  const baseline = useMemo(() => latestBaseline(points), [points]);
  const alerts = live ? feed.alerts : frozen.alerts;
  const catalogState = !catalog.loaded ? 'loading' : catalog.error && !catalog.entries.length ? 'error' : 'ready';
  const loadState = !live ? frozen.state : metric ? historyState : catalogState;
  const serverDown = live && (catalogState === 'error' || connection.state === 'offline');

  const getSnapshotState = useCallback(
    (): SnapshotState => ({
      selectedMetric: metric,
      timeRangeHours: rangeHours(range),
      layout: { panels: PANELS },
      range,
      language,
      savedAt: new Date().toISOString(),
    }),
    [metric, range, language],
  );

  const emptyMessage =
    loadState === 'loading'
      ? null
      : serverDown
        ? t('offlineHint')
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
        <MetricControls
          catalog={catalog.entries}
          metric={metric}
          range={range}
          onMetricChange={(next) => onChange({ metric: next })}
          onRangeChange={(next) => onChange({ range: next })}
        />
        <div className="topbar-end">
          {live ? <FiringIndicator firing={incidents.firing} onSelect={(next) => onChange({ metric: next })} /> : null}
          <ConnectionBadge
            state={live ? (metric ? connection.state : catalogState === 'loading' ? 'reconnecting' : 'offline') : 'offline'}
            nextRetryAt={connection.nextRetryAt}
            fatal={connection.fatal}
            snapshot={!live}
            onRetry={retry}
          />
          <LanguageSelect />
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

      <div className="toolbar">
        <SnapshotButton getState={getSnapshotState} disabled={!metric} />
        <ExportLinks metric={metric} range={range} />
        <NotificationToggle
          permission={notifications.permission}
          enabled={notifications.enabled}
          onEnable={() => void notifications.enable()}
          onDisable={notifications.disable}
        />
      </div>

      <main className="grid">
        <SingleStat
          metric={metric}
          latest={latest}
          baseline={baseline}
          live={live}
          firingSince={firingHere?.startedAt ?? null}
          forPoints={forPoints}
        />

        <section className="panel line-panel" id="line-chart-panel" tabIndex={-1} aria-labelledby="line-title">
          <h2 id="line-title" className="panel-title">
            {live ? t('lineTitle') : t('value')}
            <span className="panel-subtitle"> · {t(`range_${range}`)}</span>
          </h2>
          <LineChartPanel
            buffer={buffer}
            rangeMs={rangeMs(range)}
            end={snapshot?.createdAt ?? null}
            emptyMessage={emptyMessage}
            loading={loadState === 'loading'}
          />
          <p className="panel-footer">
            <span>
              <span data-testid="point-count">{points.length}</span> {t('pointsLabel')}
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
          <p className="panel-hint">{t('barHint', { k: fmt.number(ALERT_SIGMA) })}</p>
          <BarChartPanel buffer={buffer} showEmpty={Boolean(emptyMessage)} />
        </section>

        <AlertFeed alerts={alerts} error={live && (feed.error || serverDown)} />
        {live ? <IncidentHistory metric={metric} refreshKey={incidents.firing.length} /> : null}
        {live && metric ? <RuleEditor metric={metric} onSaved={() => setRuleVersion((v) => v + 1)} /> : null}
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
