import { useState } from 'react';
import { useI18n } from '@/lib/i18n';
import type { Incident } from '../api/incidents';

/** The header's list of everything firing, on every metric; a click goes to that metric. */
export function FiringIndicator({ firing, onSelect }: { firing: Incident[]; onSelect: (metric: string) => void }) {
  const { t, fmt } = useI18n();
  const [open, setOpen] = useState(false);
  const count = firing.length;
  return (
    <div className="firing-indicator">
      <button
        type="button"
        className={`chip ${count ? 'chip-alert' : 'chip-normal'}`}
        data-testid="firing-indicator"
        data-count={count}
        aria-expanded={open}
        onClick={() => setOpen((value) => !value)}
      >
        {count ? t('firingCount', { n: count }) : t('nothingFiring')}
      </button>
      {open && count ? (
        <ul className="firing-list" data-testid="firing-list">
          {firing.map((incident) => (
            <li key={incident.id}>
              <button
                type="button"
                className="button button-ghost"
                onClick={() => {
                  setOpen(false);
                  onSelect(incident.metric);
                }}
              >
                {incident.metric} · {t('firingSince', { time: fmt.time(incident.startedAt) })}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
