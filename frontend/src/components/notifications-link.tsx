import { useI18n } from '@/lib/i18n';

const LABEL = { en: 'Notifications', es: 'Notificaciones' } as const;

/** The way from the dashboard to the channels and silences page. */
export function NotificationsLink() {
  const { language } = useI18n();
  return (
    <a className="button button-ghost button-small" href="/settings/notifications" data-testid="notifications-link">
      {LABEL[language]}
    </a>
  );
}
