import { useState, type FormEvent } from 'react';
import { Field } from '@/components/field';
import { createSilence, deleteSilence, listSilences } from '../api/notify';
import { REFRESH_MS, useAdminData } from '../hooks/use-admin-data';
import { useWhen } from '../hooks/use-when';
import { useNotifyText } from '../text';
import { AdminSection, LoadStatus } from './admin-section';
import { describeError } from './channel-form';

function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Silences: the active and expired ones, ended early, or added for a metric pattern until a time. */
export function SilencesSection({ onChanged }: { onChanged: () => void }) {
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
    <AdminSection id="silences" title={t('silences')} hint={t('silencesHint')}>
      <LoadStatus error={error} empty={silences.length === 0} emptyText={t('noSilences')} />
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
        <Field label={t('match')}>
          <input required value={match} onChange={(e) => setMatch(e.target.value)} data-testid="silence-match" />
        </Field>
        <Field label={t('until')}>
          <input type="datetime-local" required value={until} onChange={(e) => setUntil(e.target.value)} />
        </Field>
        <Field label={t('comment')}>
          <input maxLength={1000} value={comment} onChange={(e) => setComment(e.target.value)} />
        </Field>
        <button type="submit" className="button button-primary">
          {t('addSilence')}
        </button>
      </form>
      {failure ? (
        <p className="inline-error" role="alert">
          {failure}
        </p>
      ) : null}
    </AdminSection>
  );
}
