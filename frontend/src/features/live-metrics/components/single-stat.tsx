import type { CSSProperties } from 'react';
import { useI18n } from '@/lib/i18n';
import type { SeriesPoint } from '@/lib/series-buffer';
import { ALERT_SIGMA } from './chart-colors';

export interface SingleStatProps {
  metric: string | null;
  latest: SeriesPoint | undefined;
  /** The newest point that carried a baseline. */
  baseline: SeriesPoint | undefined;
  k?: number;
  /** False for a snapshot, where a point without a score is not "warming up". */
  live?: boolean;
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
  k = ALERT_SIGMA,
  live = true,
  firingSince = null,
  forPoints = 1,
}: SingleStatProps) {
  const { fmt, t } = useI18n();
  const alert = latest?.alert === true;
  const valueText = fmt.number(latest?.value);
  const zscore = latest?.zscore ?? null;
  const status: 'alert' | 'normal' | 'warming' | 'none' = !latest
    ? 'none'
    : alert
      ? 'alert'
      : zscore === null && !baseline && live
        ? 'warming'
        : 'normal';
  const label = { alert: t('alert'), normal: t('normal'), warming: t('warmingUp'), none: t('noData') }[status];
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
        {t('currentValue')}
        {metric ? <span className="panel-subtitle"> · {metric}</span> : null}
      </h2>
      <p
        className={`stat-value${alert ? ' is-alert' : ''}${latest ? '' : ' is-empty'}`}
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
            <span className={`chip chip-${status}`} data-testid="alert-state" data-state={status}>
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
          <dt>{t('baseline', { k })}</dt>
          <dd>
            {baseline ? `${fmt.number(baseline.mean)} ± ${fmt.number(k * (baseline.std ?? 0))}` : '—'}
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
