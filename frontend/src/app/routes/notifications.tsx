import { NotificationsPage } from '@/features/notifications/components/notifications-page';

/** `/settings/notifications`: channels, silences and deliveries (management: asks for ADMIN_TOKEN). */
export function NotificationsRoute() {
  return <NotificationsPage />;
}

export default NotificationsRoute;
