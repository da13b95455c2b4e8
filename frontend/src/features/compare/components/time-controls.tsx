import { useEffect, useState } from 'react';
import { Field } from '@/components/field';
import { RangeSelect } from '@/components/range-select';
import { useI18n } from '@/lib/i18n';
import type { TimeRange } from '@/lib/time-range';

/** `datetime-local` text (the viewer's zone) for epoch ms, and back. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fromLocalInput(text: string): number | null {
  const ms = new Date(text).getTime();
  return text && Number.isFinite(ms) ? ms : null;
}

export interface TimeControlsProps {
  range: TimeRange;
  from: number;
  to: number;
  live: boolean;
  onRange: (range: TimeRange) => void;
  onWindow: (from: number, to: number) => void;
  onPan: (fraction: number) => void;
  onResume: () => void;
}

/** The presets, a custom from/to, pan buttons, and "resume live" while looking at the past. */
export function TimeControls({ range, from, to, live, onRange, onWindow, onPan, onResume }: TimeControlsProps) {
  const { t } = useI18n();
  const [draft, setDraft] = useState({ from: toLocalInput(from), to: toLocalInput(to) });
  const [bad, setBad] = useState(false);
  useEffect(() => {
    if (!live) setDraft({ from: toLocalInput(from), to: toLocalInput(to) });
  }, [from, to, live]);

  const apply = () => {
    const a = fromLocalInput(draft.from);
    const b = fromLocalInput(draft.to);
    setBad(a === null || b === null || a >= b);
    if (a !== null && b !== null && a < b) onWindow(a, b);
  };

  return (
    <div className="time-controls" role="group" aria-label={t('range')}>
      <RangeSelect value={range} onChange={onRange} custom={!live} />
      <Field label={t('timeFrom')}>
        <input data-testid="time-from" type="datetime-local" step={1} value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
      </Field>
      <Field label={t('timeTo')}>
        <input data-testid="time-to" type="datetime-local" step={1} value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
      </Field>
      <button type="button" className="button" data-testid="time-apply" onClick={apply}>
        {t('timeApply')}
      </button>
      <button type="button" className="button" data-testid="pan-earlier" onClick={() => onPan(-0.5)} aria-label={t('panEarlier')}>
        ◀
      </button>
      <button type="button" className="button" data-testid="pan-later" disabled={live} onClick={() => onPan(0.5)} aria-label={t('panLater')}>
        ▶
      </button>
      {live ? null : (
        <button type="button" className="button button-primary" data-testid="resume-live" onClick={onResume}>
          {t('resumeLive')}
        </button>
      )}
      {bad ? (
        <span className="inline-error" role="alert">
          {t('badRange')}
        </span>
      ) : null}
    </div>
  );
}
