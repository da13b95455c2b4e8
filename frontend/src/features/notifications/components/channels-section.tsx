import { useState } from 'react';
import { createChannel, deleteChannel, listChannels, testChannel, updateChannel, type Channel, type TestResult } from '../api/notify';
import { useAdminData } from '../hooks/use-admin-data';
import { useNotifyText } from '../text';
import { AdminSection, AdminTable } from './admin-section';
import { ChannelForm, describeError } from './channel-form';

/** Channels: listed with their state, added, edited, deleted and sent a test. */
export function ChannelsSection({ onChanged }: { onChanged: () => void }) {
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
    <AdminSection id="channels" title={t('channels')} hint={t('channelsHint')}>
      <AdminTable
        testId="channels-table"
        columns={[t('name'), t('kind'), t('state'), t('actions')]}
        items={channels}
        error={error}
        emptyText={t('noChannels')}
        row={(channel) => (
          <ChannelRow
            key={channel.id}
            channel={channel}
            test={tests[channel.id]}
            onTest={() => void runTest(channel)}
            onEdit={() => setEditing(channel)}
            onDelete={() => void remove(channel)}
          />
        )}
      />
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
    </AdminSection>
  );
}

interface ChannelRowProps {
  channel: Channel;
  /** The last test's outcome, or why the test or a delete failed. */
  test: TestResult | string | undefined;
  onTest: () => void;
  onEdit: () => void;
  onDelete: () => void;
}

function ChannelRow({ channel, test, onTest, onEdit, onDelete }: ChannelRowProps) {
  const t = useNotifyText();
  return (
    <tr data-testid={`channel-row-${channel.name}`}>
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
          <button type="button" className="button button-small" onClick={onTest}>
            {t('sendTest')}
          </button>
          <button type="button" className="button button-small button-ghost" onClick={onEdit}>
            {t('edit')}
          </button>
          <button type="button" className="button button-small button-ghost" onClick={onDelete}>
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
}
