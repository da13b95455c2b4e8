import type { CSSProperties } from 'react';
import { useNow } from '@/hooks/use-now';
import { useI18n } from '@/lib/i18n';
import { formatValue, metricTitle, NO_META, type MetricMeta } from '@/lib/metric-format';
import type { SeriesPoint } from '@/lib/series-buffer';

/**
 * Where the card's value comes from: a live stream, a stream that is down, a snapshot, or a fixed
 * window of the past (its last value, which does not age).
 */
export type StatSource = 'live' | 'down' | 'snapshot' | 'window';

export interface SingleStatProps {
  metric: string | null;
  latest: SeriesPoint | undefined;
  /** The newest point that carried a baseline. */
  baseline: SeriesPoint | undefined;
  /** The metric's alert threshold k (its effective rule, from the server); null until known. */
  k?: number | null;
  /** False for a snapshot, where a point without a score is not "warming up". */
  live?: boolean;
  source?: StatSource;
  /** The newest point is stale once older than this (the series' gap threshold). */
  staleAfterMs?: number;
  /** When the newest point arrived (epoch ms; its ts when it came with the history). */
  arrivedAt?: number;
  meta?: MetricMeta;
  /** The metric's open incident, if any (from the incidents stream). */
  firingSince?: number | null;
  /** The rule's for_points, for "Pending k of n". */
  forPoints?: number;
}

/** The current value, big enough to read across a room, with its z-score and alert state. */
export function SingleStat({
  metric,
  latest,
  baseline,
  k = null,
  live = true,
  source = live ? 'live' : 'snapshot',
  staleAfterMs = Infinity,
  arrivedAt,
  meta = NO_META,
  firingSince = null,
  forPoints = 1,
}: SingleStatProps) {
  const { fmt, t } = useI18n();
  // Only a live card ages: it is re-checked every second, not only when a point arrives.
  const now = useNow(1000, source === 'live' && latest !== undefined);
  const alert = latest?.alert === true;
  const valueText = formatValue(fmt, latest?.value, meta);
  const zscore = latest?.zscore ?? null;
  const stale = source === 'live' && latest !== undefined && now - (arrivedAt ?? latest.ts) > staleAfterMs;
  // A value that is not current never says "Normal" (SPEC §8: honest display).
  const status: 'alert' | 'normal' | 'warming' | 'none' | 'stale' | 'offline' = !latest
    ? 'none'
    : source === 'down'
      ? 'offline'
      : stale
        ? 'stale'
        : alert
          ? 'alert'
          : zscore === null && !baseline && live
            ? 'warming'
            : 'normal';
  const label = {
    alert: t('alert'),
    normal: t('normal'),
    warming: t('warmingUp'),
    none: t('noData'),
    stale: t('stale'),
    offline: t('offline'),
  }[status];
  const incident: 'firing' | 'pending' | 'normal' =
    firingSince !== null || latest?.state === 'firing' ? 'firing' : latest?.state === 'pending' ? 'pending' : 'normal';
  const incidentLabel =
    incident === 'firing'
      ? firingSince !== null
        ? t('firingSince', { time: fmt.time(firingSince) })
        : t('incidentFiring')
      : incident === 'pending'
        ? t('pendingOf', { k: latest?.pending ?? 0, n: forPoints })
        : t('normal');

  return (
    <section className="panel single-stat" data-testid="single-stat" data-alert={alert} aria-labelledby="single-stat-title">
      <h2 id="single-stat-title" className="panel-title">
        {source === 'window' ? t('lastValueInWindow') : t('currentValue')}
        {metric ? <span className="panel-subtitle"> · {metricTitle(metric, meta)}</span> : null}
      </h2>
      <p
        className={`stat-value${alert ? ' is-alert' : ''}${latest ? '' : ' is-empty'}${stale || status === 'offline' ? ' is-stale' : ''}`}
        data-stale={stale || status === 'offline'}
        data-testid="current-value"
        // The font shrinks with the number of characters so the value never wraps.
        style={{ '--chars': Math.max(4, valueText.length) } as CSSProperties}
      >
        {valueText}
      </p>
      <dl className="stat-facts">
        <div>
          <dt>{t('zscore')}</dt>
          <dd data-testid="current-zscore">{fmt.zscore(zscore)}</dd>
        </div>
        <div>
          <dt>{t('alertState')}</dt>
          <dd>
            <span
              className={`chip chip-${status}`}
              data-testid="alert-state"
              data-state={status}
              title={latest && (stale || status === 'offline') ? t('staleHint', { ago: fmt.relative(latest.ts, now) }) : undefined}
            >
              {label}
            </span>
          </dd>
        </div>
        <div>
          <dt>{t('incidentsTitle')}</dt>
          <dd>
            <span
              className={`chip chip-${incident === 'firing' ? 'alert' : incident === 'pending' ? 'warming' : 'normal'}`}
              data-testid="incident-state"
              data-state={incident}
            >
              {incidentLabel}
            </span>
          </dd>
        </div>
        <div>
          <dt>{t('baseline', { k: k === null ? '—' : fmt.number(k) })}</dt>
          <dd>
            {baseline && k !== null ? `${formatValue(fmt, baseline.mean, meta)} ± ${formatValue(fmt, k * (baseline.std ?? 0), meta)}` : '—'}
          </dd>
        </div>
        <div>
          <dt>{t('time')}</dt>
          <dd>{latest ? fmt.time(latest.ts) : '—'}</dd>
        </div>
      </dl>
    </section>
  );
}
