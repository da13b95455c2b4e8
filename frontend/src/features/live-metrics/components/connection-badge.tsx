import { useEffect, useState } from 'react';
import type { ConnectionState } from '@/hooks/use-websocket';
import { useI18n } from '@/lib/i18n';

export interface ConnectionBadgeProps {
  state: ConnectionState;
  nextRetryAt?: number | null;
  fatal?: boolean;
  snapshot?: boolean;
  /** A fixed window is shown: nothing is followed, on purpose. */
  paused?: boolean;
  /** The metric does not exist (yet): nothing is live, nothing is being retried. */
  waiting?: boolean;
  onRetry?: () => void;
}

/** live / reconnecting / offline, with the next retry and a way to retry now. */
export function ConnectionBadge({
  state: connection,
  nextRetryAt = null,
  fatal = false,
  snapshot = false,
  paused = false,
  waiting = false,
  onRetry,
}: ConnectionBadgeProps) {
  const { t } = useI18n();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (nextRetryAt === null) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [nextRetryAt]);
  const seconds = nextRetryAt !== null ? Math.max(0, Math.ceil((nextRetryAt - now) / 1000)) : null;
  const state = snapshot ? 'snapshot' : paused ? 'paused' : waiting ? 'waiting' : connection;
  const hint = snapshot ? t('stateHint_snapshot') : fatal ? t('stateHint_fatal') : t(`stateHint_${state}`);

  return (
    <div className="connection">
      <span className={`badge badge-${state}`} data-testid="connection-badge" data-state={state} title={hint} role="status" aria-live="polite">
        <span className="badge-dot" aria-hidden="true" />
        {t(`state_${state}`)}
      </span>
      {state !== 'live' && state !== 'snapshot' && state !== 'paused' && state !== 'waiting' && seconds !== null ? (
        <span className="retry-hint">{t('retryIn', { s: seconds })}</span>
      ) : null}
      {state !== 'live' && state !== 'snapshot' && state !== 'paused' && state !== 'waiting' && onRetry ? (
        <button type="button" className="button button-small" onClick={onRetry}>
          {t('retryNow')}
        </button>
      ) : null}
    </div>
  );
}
