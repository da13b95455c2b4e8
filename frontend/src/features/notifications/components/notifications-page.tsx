import { useState } from 'react';
import { LanguageSelect } from '@/components/language-select';
import { PageHeader } from '@/components/page-header';
import { useNotifyText } from '../text';
import { ChannelsSection } from './channels-section';
import { DeliveriesSection } from './deliveries-section';
import { SilencesSection } from './silences-section';
import '../notifications.css';

/** `/settings/notifications`: channels (add, edit, delete, test), silences, and the delivery log. */
export function NotificationsPage() {
  const t = useNotifyText();
  const [version, setVersion] = useState(0);
  const bump = () => setVersion((n) => n + 1);
  return (
    <div className="app-shell notify-page">
      <PageHeader title={t('pageTitle')}>
        <div className="topbar-end">
          <a className="button button-ghost" href="/">
            {t('backToDashboard')}
          </a>
          <LanguageSelect />
        </div>
      </PageHeader>
      <main className="notify-main">
        <ChannelsSection onChanged={bump} />
        <SilencesSection onChanged={bump} />
        {/* A change above can add deliveries (a test) or change their channel: read the log again. */}
        <DeliveriesSection key={version} />
      </main>
    </div>
  );
}
