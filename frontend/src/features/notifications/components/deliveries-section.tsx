import { useState } from 'react';
import { SelectInput } from '@/components/select';
import { DELIVERY_STATES, listChannels, listDeliveries, type Channel, type DeliveryState } from '../api/notify';
import { REFRESH_MS, useAdminData } from '../hooks/use-admin-data';
import { useWhen } from '../hooks/use-when';
import { useNotifyText } from '../text';
import { AdminSection, AdminTable } from './admin-section';

/** The delivery log, filtered by channel and state. */
export function DeliveriesSection() {
  const t = useNotifyText();
  const when = useWhen();
  const [channel, setChannel] = useState<number | undefined>();
  const [state, setState] = useState<DeliveryState | undefined>();
  const channels = useAdminData(listChannels, [] as Channel[]);
  const { data: rows, error } = useAdminData(
    () => listDeliveries({ channel, state }),
    [],
    REFRESH_MS,
  );
  return (
    <AdminSection id="deliveries" title={t('deliveries')} hint={t('deliveriesHint')}>
      <div className="notify-form-row">
        <SelectInput
          ariaLabel={t('channels')}
          value={channel === undefined ? '' : String(channel)}
          options={[{ value: '', label: t('anyChannel') }, ...channels.data.map((option) => ({ value: String(option.id), label: option.name }))]}
          onChange={(picked) => setChannel(picked ? Number(picked) : undefined)}
        />
        <SelectInput<DeliveryState | ''>
          ariaLabel={t('state')}
          value={state ?? ''}
          options={[{ value: '', label: t('anyState') }, ...DELIVERY_STATES.map((option) => ({ value: option, label: t(`state_${option}`) }))]}
          onChange={(picked) => setState(picked || undefined)}
        />
      </div>
      <AdminTable
        testId="deliveries-table"
        columns={[t('when'), t('channels'), t('event'), t('metric'), t('state'), t('attempts'), t('outcome')]}
        items={rows}
        error={error}
        emptyText={t('noDeliveries')}
        row={(row) => (
          <tr key={row.id}>
            <td>{when(row.created_at)}</td>
            <td>{row.channel ?? row.channel_id}</td>
            <td>{row.event}</td>
            <td>{row.metric}</td>
            <td>
              <span className={`chip ${row.state === 'delivered' ? 'chip-normal' : row.state === 'failed' ? 'chip-alert' : 'chip-none'}`}>
                {t(`state_${row.state}`)}
              </span>
            </td>
            <td>{row.attempts}</td>
            <td>
              {row.reason ?? row.last_error ?? (row.last_status ? `HTTP ${row.last_status}` : '')}
              {row.state === 'pending' && row.next_attempt_at ? (
                <div className="panel-hint">{t('nextTry', { when: when(row.next_attempt_at) })}</div>
              ) : null}
            </td>
          </tr>
        )}
      />
    </AdminSection>
  );
}
