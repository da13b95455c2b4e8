import { useState } from 'react';
import { useI18n } from '@/lib/i18n';
import { createSnapshot } from '../api/snapshots';
import type { CreatedSnapshot, SnapshotState } from '../api/types';

type Status = { kind: 'idle' } | { kind: 'saving' } | { kind: 'error' } | { kind: 'done'; snapshot: CreatedSnapshot; link: string };

/** Saves the dashboard state and shows the shareable link with copy-to-clipboard. */
export function SnapshotButton({ getState, disabled = false }: { getState: () => SnapshotState; disabled?: boolean }) {
  const { t } = useI18n();
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const [copied, setCopied] = useState<'link' | 'key' | null>(null);

  const save = async () => {
    setStatus({ kind: 'saving' });
    setCopied(null);
    try {
      const snapshot = await createSnapshot(getState());
      const link = new URL(snapshot.url, window.location.origin).toString();
      setStatus({ kind: 'done', snapshot, link });
    } catch {
      setStatus({ kind: 'error' });
    }
  };

  const copy = async (text: string, what: 'link' | 'key') => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(what);
    } catch {
      // No clipboard permission (plain http, old browser): select the text for a manual copy.
      const field = document.getElementById(what === 'link' ? 'snapshot-link-field' : 'snapshot-key-field') as HTMLInputElement | null;
      field?.select();
    }
  };

  return (
    <div className="snapshot-tool">
      <button
        type="button"
        className="button"
        data-testid="snapshot-button"
        onClick={() => void save()}
        disabled={disabled || status.kind === 'saving'}
      >
        {status.kind === 'saving' ? t('snapshotSaving') : t('snapshot')}
      </button>
      {status.kind === 'error' ? (
        <span className="inline-error" role="alert">
          {t('snapshotFailed')}
        </span>
      ) : null}
      {status.kind === 'done' ? (
        <div className="snapshot-share" role="group" aria-label={t('snapshotReady')}>
          <label htmlFor="snapshot-link-field" className="visually-hidden">
            {t('snapshotReady')}
          </label>
          <a href={status.link} data-testid="snapshot-link" className="snapshot-link" target="_blank" rel="noopener">
            {status.link}
          </a>
          <input id="snapshot-link-field" className="visually-hidden" readOnly value={status.link} tabIndex={-1} />
          <button type="button" className="button button-small" onClick={() => void copy(status.link, 'link')} data-testid="copy-link">
            {copied === 'link' ? t('copied') : t('copy')}
          </button>
          {status.snapshot.deleteKey ? (
            // Shown once: the server keeps only a hash of it, and this state is gone on the next save.
            <span className="snapshot-key">
              <label htmlFor="snapshot-key-field">{t('snapshotDeleteKey')}</label>
              <code data-testid="snapshot-delete-key">{status.snapshot.deleteKey}</code>
              <input id="snapshot-key-field" className="visually-hidden" readOnly value={status.snapshot.deleteKey} tabIndex={-1} />
              <button
                type="button"
                className="button button-small"
                onClick={() => void copy(status.snapshot.deleteKey!, 'key')}
                data-testid="copy-delete-key"
              >
                {copied === 'key' ? t('copied') : t('copyDeleteKey')}
              </button>
            </span>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
