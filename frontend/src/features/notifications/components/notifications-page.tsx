import { useState, type FormEvent } from 'react';
import { LanguageSelect } from '@/components/language-select';
import { useI18n } from '@/lib/i18n';
import {
  createChannel,
  createSilence,
  deleteChannel,
  deleteSilence,
  DELIVERY_STATES,
  listChannels,
  listDeliveries,
  listSilences,
  testChannel,
  updateChannel,
  type Channel,
  type DeliveryState,
  type TestResult,
} from '../api/notify';
import { useAdminData } from '../hooks/use-admin-data';
import { useNotifyText } from '../text';
import { ChannelForm, describeError } from './channel-form';
import '../notifications.css';

const REFRESH_MS = 5000;

function useWhen() {
  const { locale } = useI18n();
  return (iso: string | null) => (iso ? new Date(iso).toLocaleString(locale) : '');
}

function ChannelsSection({ onChanged }: { onChanged: () => void }) {
  const t = useNotifyText();
  const { data: channels, error, reload } = useAdminData(listChannels, [] as Channel[]);
  const [editing, setEditing] = useState<Channel | 'new' | null>(null);
  const [tests, setTests] = useState<Record<number, TestResult | string>>({});

  const changed = async () => {
    setEditing(null);
    await reload();
    onChanged();
  };
  const runTest = async (channel: Channel) => {
    try {
      const result = await testChannel(channel.id);
      setTests((all) => ({ ...all, [channel.id]: result }));
    } catch (failure) {
      setTests((all) => ({ ...all, [channel.id]: describeError(failure) }));
    }
    onChanged();
  };
  const remove = async (channel: Channel) => {
    if (!window.confirm(t('confirmDelete', { name: channel.name }))) return;
    try {
      await deleteChannel(channel.id);
    } catch (failure) {
      setTests((all) => ({ ...all, [channel.id]: describeError(failure) }));
    }
    await changed();
  };

  return (
    <section className="panel" aria-labelledby="channels-title">
      <h2 id="channels-title" className="panel-title">
        {t('channels')}
      </h2>
      <p className="panel-hint">{t('channelsHint')}</p>
      {error ? <p className="inline-error">{t('loadFailed', { detail: error })}</p> : null}
      {channels.length === 0 && !error ? <p className="panel-hint">{t('noChannels')}</p> : null}
      {channels.length > 0 ? (
        <table className="notify-table" data-testid="channels-table">
          <thead>
            <tr>
              <th scope="col">{t('name')}</th>
              <th scope="col">{t('kind')}</th>
              <th scope="col">{t('state')}</th>
              <th scope="col">{t('actions')}</th>
            </tr>
          </thead>
          <tbody>
            {channels.map((channel) => {
              const test = tests[channel.id];
              return (
                <tr key={channel.id} data-testid={`channel-row-${channel.name}`}>
                  <td>
                    {channel.name} {channel.default ? <span className="chip chip-normal">{t('defaultBadge')}</span> : null}
                  </td>
                  <td>{channel.kind}</td>
                  <td>
                    {channel.enabled ? t('enabled') : <span className="chip chip-alert">{t('disabled')}</span>}
                    {channel.disabled_reason ? <div className="panel-hint">{channel.disabled_reason}</div> : null}
                    {channel.secrets_unreadable ? <div className="inline-error">{t('secretsUnreadable')}</div> : null}
                  </td>
                  <td>
                    <div className="notify-actions">
                      <button type="button" className="button button-small" onClick={() => void runTest(channel)}>
                        {t('sendTest')}
                      </button>
                      <button type="button" className="button button-small button-ghost" onClick={() => setEditing(channel)}>
                        {t('edit')}
                      </button>
                      <button type="button" className="button button-small button-ghost" onClick={() => void remove(channel)}>
                        {t('delete')}
                      </button>
                    </div>
                    {test ? (
                      <p role="status" className={typeof test !== 'string' && test.ok ? 'notify-ok' : 'inline-error'} data-testid="test-result">
                        {typeof test === 'string'
                          ? test
                          : test.ok
                            ? t('testSent', { status: test.status ?? '' })
                            : t('testFailed', { detail: test.detail })}
                      </p>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {editing ? (
        <ChannelForm
          key={editing === 'new' ? 'new' : editing.id}
          channel={editing === 'new' ? undefined : editing}
          onCancel={() => setEditing(null)}
          onSave={async (input) => {
            if (editing === 'new') await createChannel(input);
            else await updateChannel(editing.id, input);
            await changed();
          }}
        />
      ) : (
        <button type="button" className="button button-primary" onClick={() => setEditing('new')} data-testid="add-channel">
          {t('addChannel')}
        </button>
      )}
    </section>
  );
}

function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function SilencesSection({ onChanged }: { onChanged: () => void }) {
  const t = useNotifyText();
  const when = useWhen();
  const { data: silences, error, reload } = useAdminData(listSilences, [], REFRESH_MS);
  const [match, setMatch] = useState('');
  const [until, setUntil] = useState(() => localInput(new Date(Date.now() + 3600_000)));
  const [comment, setComment] = useState('');
  const [failure, setFailure] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    try {
      await createSilence({ match: match.trim(), until: new Date(until).toISOString(), comment });
      setMatch('');
      setComment('');
      await reload();
      onChanged();
    } catch (problem) {
      setFailure(describeError(problem));
    }
  };

  return (
    <section className="panel" aria-labelledby="silences-title">
      <h2 id="silences-title" className="panel-title">
        {t('silences')}
      </h2>
      <p className="panel-hint">{t('silencesHint')}</p>
      {error ? <p className="inline-error">{t('loadFailed', { detail: error })}</p> : null}
      {silences.length === 0 && !error ? <p className="panel-hint">{t('noSilences')}</p> : null}
      <ul className="notify-list" data-testid="silences">
        {silences.map((silence) => (
          <li key={silence.id}>
            <code>{silence.match}</code> — {t('until')} {when(silence.until)}{' '}
            <span className={`chip ${silence.active ? 'chip-alert' : 'chip-none'}`}>{silence.active ? t('active') : t('expired')}</span>
            {silence.comment ? <span className="panel-hint"> {silence.comment}</span> : null}{' '}
            <button
              type="button"
              className="button button-small button-ghost"
              onClick={() => void deleteSilence(silence.id).then(reload).catch((problem) => setFailure(describeError(problem)))}
            >
              {t('endSilence')}
            </button>
          </li>
        ))}
      </ul>
      <form className="notify-form notify-form-row" onSubmit={submit} aria-label={t('addSilence')}>
        <label className="field">
          <span className="field-label">{t('match')}</span>
          <input required value={match} onChange={(e) => setMatch(e.target.value)} data-testid="silence-match" />
        </label>
        <label className="field">
          <span className="field-label">{t('until')}</span>
          <input type="datetime-local" required value={until} onChange={(e) => setUntil(e.target.value)} />
        </label>
        <label className="field">
          <span className="field-label">{t('comment')}</span>
          <input maxLength={1000} value={comment} onChange={(e) => setComment(e.target.value)} />
        </label>
        <button type="submit" className="button button-primary">
          {t('addSilence')}
        </button>
      </form>
      {failure ? (
        <p className="inline-error" role="alert">
          {failure}
        </p>
      ) : null}
    </section>
  );
}

function DeliveriesSection({ version }: { version: number }) {
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
    <section className="panel" aria-labelledby="deliveries-title" data-version={version}>
      <h2 id="deliveries-title" className="panel-title">
        {t('deliveries')}
      </h2>
      <p className="panel-hint">{t('deliveriesHint')}</p>
      <div className="notify-form-row">
        <select aria-label={t('channels')} value={channel ?? ''} onChange={(e) => setChannel(e.target.value ? Number(e.target.value) : undefined)}>
          <option value="">{t('anyChannel')}</option>
          {channels.data.map((option) => (
            <option key={option.id} value={option.id}>
              {option.name}
            </option>
          ))}
        </select>
        <select aria-label={t('state')} value={state ?? ''} onChange={(e) => setState((e.target.value || undefined) as DeliveryState | undefined)}>
          <option value="">{t('anyState')}</option>
          {DELIVERY_STATES.map((option) => (
            <option key={option} value={option}>
              {t(`state_${option}`)}
            </option>
          ))}
        </select>
      </div>
      {error ? <p className="inline-error">{t('loadFailed', { detail: error })}</p> : null}
      {rows.length === 0 && !error ? <p className="panel-hint">{t('noDeliveries')}</p> : null}
      {rows.length > 0 ? (
        <table className="notify-table" data-testid="deliveries-table">
          <thead>
            <tr>
              <th scope="col">{t('when')}</th>
              <th scope="col">{t('channels')}</th>
              <th scope="col">{t('event')}</th>
              <th scope="col">{t('metric')}</th>
              <th scope="col">{t('state')}</th>
              <th scope="col">{t('attempts')}</th>
              <th scope="col">{t('outcome')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
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
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

/** `/settings/notifications`: channels (add, edit, delete, test), silences, and the delivery log. */
export function NotificationsPage() {
  const t = useNotifyText();
  const [version, setVersion] = useState(0);
  const bump = () => setVersion((n) => n + 1);
  return (
    <div className="app-shell notify-page">
      <header className="topbar">
        <div className="brand">
          <h1 className="brand-name">{t('pageTitle')}</h1>
        </div>
        <div className="topbar-end">
          <a className="button button-ghost" href="/">
            {t('backToDashboard')}
          </a>
          <LanguageSelect />
        </div>
      </header>
      <main className="notify-main">
        <ChannelsSection onChanged={bump} />
        <SilencesSection onChanged={bump} />
        <DeliveriesSection key={version} version={version} />
      </main>
    </div>
  );
}
