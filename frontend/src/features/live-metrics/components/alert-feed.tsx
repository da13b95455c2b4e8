import { memo } from 'react';
import { useI18n } from '@/lib/i18n';
import type { AlertItem } from '../api/types';

export interface AlertFeedProps {
  alerts: readonly AlertItem[];
  error?: boolean;
  limit?: number;
}

/** Alerts, newest first: time, value, z. */
function AlertFeedPanel({ alerts, error = false, limit = 50 }: AlertFeedProps) {
  const { fmt, t } = useI18n();
  const shown = alerts.slice(0, limit);
  return (
    <section className="panel alert-feed" aria-labelledby="alert-feed-title">
      <h2 id="alert-feed-title" className="panel-title">
        {t('alertFeed')} <span className="count-pill">{fmt.integer(alerts.length)}</span>
      </h2>
      {/* It scrolls, so it takes focus: keyboard users scroll it with the arrow keys. */}
      <div
        data-testid="alert-feed"
        className="alert-feed-body"
        data-count={alerts.length}
        tabIndex={0}
        role="region"
        aria-labelledby="alert-feed-title"
      >
        {shown.length ? (
          <ol className="alert-list">
            {shown.map((alert) => (
              <li key={`${alert.metric}|${alert.ts}`} className="alert-row" data-testid="alert-item">
                <time dateTime={alert.tsRaw} className="alert-time">
                  {fmt.dateTime(alert.ts)}
                </time>
                <span className="alert-metric">{alert.metric}</span>
                <span className="alert-value">{fmt.number(alert.value)}</span>
                <span className="alert-z" title={t('zscore')}>
                  z {fmt.zscore(alert.zscore)}
                </span>
              </li>
            ))}
          </ol>
        ) : (
          <p className="empty-note">{error ? t('alertsUnavailable') : t('noAlerts')}</p>
        )}
      </div>
    </section>
  );
}

export const AlertFeed = memo(AlertFeedPanel);
