import { useEffect, useState } from 'react';
import type { TimeWindow } from '@/hooks/use-time-window';
import { useI18n } from '@/lib/i18n';
import type { TimeRange } from '@/lib/time-range';
import { pickedWindow, toLocalInput } from '@/lib/time-window';
import { Field } from './field';
import { RangeSelect } from './range-select';
import './time-controls.css';

export interface TimeControlsProps {
  range: TimeRange;
  window: TimeWindow;
  /** A preset picked: it also leaves any fixed window. */
  onRange: (range: TimeRange) => void;
  /** False where the presets are offered elsewhere (the dashboard's header). */
  presets?: boolean;
}

/**
 * The presets, a custom from/to, pan buttons, and — while a fixed window is shown — a "paused"
 * badge with "Resume live".
 */
export function TimeControls({ range, window, onRange, presets = true }: TimeControlsProps) {
  const { t } = useI18n();
  const { from, to, live } = window;
  const [draft, setDraft] = useState({ from: toLocalInput(from), to: toLocalInput(to) });
  const [bad, setBad] = useState(false);
  useEffect(() => {
    if (!live) setDraft({ from: toLocalInput(from), to: toLocalInput(to) });
  }, [from, to, live]);

  const apply = () => {
    const picked = pickedWindow(draft.from, draft.to);
    setBad(picked === null);
    if (picked) window.setFixed(picked);
  };

  return (
    <div className="time-controls" role="group" aria-label={t('range')}>
      {presets ? <RangeSelect value={range} onChange={onRange} custom={!live} /> : null}
      <Field label={t('timeFrom')}>
        <input data-testid="time-from" type="datetime-local" step={1} value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
      </Field>
      <Field label={t('timeTo')}>
        <input data-testid="time-to" type="datetime-local" step={1} value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
      </Field>
      <button type="button" className="button" data-testid="time-apply" onClick={apply}>
        {t('timeApply')}
      </button>
      <button type="button" className="button" data-testid="pan-earlier" onClick={() => window.pan(-0.5)} aria-label={t('panEarlier')}>
        ◀
      </button>
      <button type="button" className="button" data-testid="pan-later" disabled={live} onClick={() => window.pan(0.5)} aria-label={t('panLater')}>
        ▶
      </button>
      {live ? null : (
        <>
          <span className="badge badge-paused" data-testid="paused-badge" role="status" title={t('timePausedHint')}>
            {t('timePaused')}
          </span>
          <button type="button" className="button button-primary" data-testid="resume-live" onClick={window.reset}>
            {t('resumeLive')}
          </button>
        </>
      )}
      {bad ? (
        <span className="inline-error" role="alert">
          {t('badRange')}
        </span>
      ) : null}
    </div>
  );
}
