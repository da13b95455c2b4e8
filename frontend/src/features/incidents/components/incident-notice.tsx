import { useEffect } from 'react';
import { useI18n } from '@/lib/i18n';
import type { Incident } from '../api/incidents';

const RESOLVED_MS = 6_000;

/** The loud notice of an opened incident, and the quiet note of a resolved one. */
export function IncidentNotice({
  opened,
  resolved,
  onDismiss,
  onDismissResolved,
  onSelect,
}: {
  opened: Incident | null;
  resolved: Incident | null;
  onDismiss: () => void;
  onDismissResolved: () => void;
  onSelect: (metric: string) => void;
}) {
  const { t, fmt } = useI18n();
  useEffect(() => {
    if (!resolved) return;
    const timer = setTimeout(onDismissResolved, RESOLVED_MS);
    return () => clearTimeout(timer);
  }, [resolved, onDismissResolved]);
  return (
    <div className="toast-region" role="status" aria-live="polite">
      {opened ? (
        <div className="toast" data-testid="incident-notice" data-metric={opened.metric}>
          <strong>{t('incidentOpened')}</strong>
          <button type="button" className="button button-ghost" onClick={() => onSelect(opened.metric)}>
            {t('alertLine', { metric: opened.metric, value: fmt.number(opened.peakValue), z: fmt.zscore(opened.peakZscore) })}
          </button>
          <button type="button" className="button button-ghost" onClick={onDismiss}>
            {t('dismiss')}
          </button>
        </div>
      ) : null}
      {resolved ? (
        <div className="toast toast-quiet" data-testid="incident-resolved">
          {t('incidentResolved', { metric: resolved.metric })}
        </div>
      ) : null}
    </div>
  );
}
