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
      🔔 {t('notificationsOn')}
    </button>
  ) : (
    <button type="button" className="button button-small" aria-pressed="false" onClick={onEnable} data-testid="notifications-toggle">
      🔕 {t('enableNotifications')}
    </button>
  );
}
