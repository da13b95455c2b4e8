import { useI18n } from '@/lib/i18n';
import type { AlertItem } from '../api/types';

/** The visible notice of a new alert (announced to screen readers too). */
export function AlertNotice({ alert, onDismiss }: { alert: AlertItem | null; onDismiss: () => void }) {
  const { fmt, t } = useI18n();
  return (
    <div className="toast-region" role="status" aria-live="polite">
      {alert ? (
        <div className="toast" data-testid="alert-notice">
          <strong>{t('newAlert')}</strong>
          <span>
            {t('alertLine', { metric: alert.metric, value: fmt.number(alert.value), z: fmt.zscore(alert.zscore) })} ·{' '}
            {fmt.time(alert.ts)}
          </span>
          <button type="button" className="button button-ghost" onClick={onDismiss}>
            {t('dismiss')}
          </button>
        </div>
      ) : null}
    </div>
  );
}
