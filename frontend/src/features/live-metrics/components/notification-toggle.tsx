import { useI18n } from '@/lib/i18n';
import type { NotificationPermissionState } from '../hooks/use-alert-notifications';

export interface NotificationToggleProps {
  permission: NotificationPermissionState;
  enabled: boolean;
  onEnable: () => void;
  onDisable: () => void;
}

/** Browser notifications are asked for only when this button is pressed. */
export function NotificationToggle({ permission, enabled, onEnable, onDisable }: NotificationToggleProps) {
  const { t } = useI18n();
  if (permission === 'unsupported') return null;
  if (permission === 'denied') return <span className="toolbar-note">{t('notificationsBlocked')}</span>;
  return enabled ? (
    <button type="button" className="button button-small" aria-pressed="true" onClick={onDisable} title={t('notificationsOff')} data-testid="notifications-toggle">
      <BellIcon on /> {t('notificationsOn')}
    </button>
  ) : (
    <button type="button" className="button button-small" aria-pressed="false" onClick={onEnable} data-testid="notifications-toggle">
      <BellIcon on={false} /> {t('enableNotifications')}
    </button>
  );
}

function BellIcon({ on }: { on: boolean }) {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
      <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
      <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
      {on ? null : <line x1="3" y1="3" x2="21" y2="21" />}
    </svg>
  );
}
