import { lazy, Suspense, useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api-client';
import { useI18n, type MessageKey } from '@/lib/i18n';
import { deleteRule, fetchEffectiveRule, saveRule, type Direction, type EffectiveRule } from '../api/incidents';

type Field = 'sigma' | 'window_seconds' | 'min_points' | 'for_points' | 'resolve_after_seconds' | 'repeat_interval_seconds';

// The picker brings the notifications page's code: loaded when asked for, not with the dashboard.
const ChannelPicker = lazy(() =>
  import('@/features/notifications/components/channel-picker').then((m) => ({ default: m.ChannelPicker })),
);

/** The bounds of SPEC §10, checked here so a mistake is named before the server says 422. */
const BOUNDS: Record<
  Field,
  { min: number; max: number; integer: boolean; label: MessageKey; exclusiveMin?: boolean; optional?: boolean }
> = {
  sigma: { min: 0, max: 1000, integer: false, label: 'ruleSigma', exclusiveMin: true },
  window_seconds: { min: 10, max: 86_400, integer: false, label: 'ruleWindow' },
  min_points: { min: 2, max: 10_000, integer: true, label: 'ruleMinPoints' },
  for_points: { min: 1, max: 100, integer: true, label: 'ruleForPoints' },
  resolve_after_seconds: { min: 1, max: 86_400, integer: false, label: 'ruleResolveAfter' },
  repeat_interval_seconds: { min: 60, max: 7 * 86_400, integer: false, label: 'ruleRepeat', optional: true },
};
const FIELDS = Object.keys(BOUNDS) as Field[];

type Draft = Record<Field, string> & { direction: Direction; enabled: boolean; notify: string[] | null };

function draftOf(rule: EffectiveRule): Draft {
  const v = rule.values;
  const text = (x: number | null) => (x === null ? '' : String(x));
  return {
    sigma: text(v.sigma),
    window_seconds: text(v.window_seconds),
    min_points: text(v.min_points),
    for_points: text(v.for_points),
    resolve_after_seconds: text(v.resolve_after_seconds),
    repeat_interval_seconds: text(v.repeat_interval_seconds),
    direction: v.direction ?? 'both',
    enabled: v.enabled,
    notify: v.notify,
  };
}

/** The alert rule of one metric: k, W, m, direction, for_points, resolve_after, the reminder
 * interval, enabled and whom it notifies. */
export function RuleEditor({ metric, onSaved }: { metric: string; onSaved?: () => void }) {
  const { t } = useI18n();
  const [rule, setRule] = useState<EffectiveRule | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [errors, setErrors] = useState<Partial<Record<Field | 'form', string>>>({});
  const [saved, setSaved] = useState(false);
  // The channel list is an admin call: fetched only when asked for, so that viewing a metric never
  // asks for the admin token.
  const [picking, setPicking] = useState(false);

  const load = (signal?: AbortSignal) =>
    fetchEffectiveRule(metric, signal)
      .then((next) => {
        setRule(next);
        setDraft(draftOf(next));
      })
      .catch(() => undefined);

  useEffect(() => {
    const controller = new AbortController();
    setSaved(false);
    setErrors({});
    setPicking(false);
    void load(controller.signal);
    return () => controller.abort();
  }, [metric]);

  if (!rule || !draft) return null;
  const own = rule.source === 'rule' && rule.match === metric ? rule.ruleId : null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: Partial<Record<Field | 'form', string>> = {};
    const numbers: Partial<Record<Field, number>> = {};
    for (const field of FIELDS) {
      const bound = BOUNDS[field];
      if (bound.optional && draft[field].trim() === '') continue;
      const value = Number(draft[field]);
      const ok =
        draft[field].trim() !== '' &&
        Number.isFinite(value) &&
        (bound.exclusiveMin ? value > bound.min : value >= bound.min) &&
        value <= bound.max &&
        (!bound.integer || Number.isInteger(value));
      if (ok) numbers[field] = value;
      else found[field] = t('ruleBounds', { field: t(bound.label), min: bound.min, max: bound.max });
    }
    setErrors(found);
    setSaved(false);
    if (Object.keys(found).length) return;
    try {
      await saveRule(metric, own, {
        sigma: numbers.sigma!,
        window_seconds: numbers.window_seconds!,
        min_points: numbers.min_points!,
        for_points: numbers.for_points!,
        resolve_after_seconds: numbers.resolve_after_seconds!,
        repeat_interval_seconds: numbers.repeat_interval_seconds ?? null,
        direction: draft.direction,
        enabled: draft.enabled,
        notify: draft.notify,
      });
      setSaved(true);
      onSaved?.();
      await load();
    } catch (error) {
      setErrors({ form: error instanceof ApiError ? JSON.stringify(error.detail) : String(error) });
    }
  };

  const backToDefaults = async () => {
    if (own === null) return;
    try {
      await deleteRule(own);
      setSaved(true);
      onSaved?.();
      await load();
    } catch (error) {
      setErrors({ form: String(error) });
    }
  };

  return (
    <section className="panel rule-panel" aria-labelledby="rule-title" data-testid="rule-editor">
      <h2 id="rule-title" className="panel-title">
        {t('ruleTitle')}
        <span className="panel-subtitle" data-testid="rule-source">
          {' · '}
          {rule.source === 'rule' ? t('ruleFrom', { match: rule.match ?? '' }) : t('ruleDefaults')}
        </span>
      </h2>
      <form className="rule-form" onSubmit={(event) => void submit(event)} noValidate>
        {FIELDS.map((field) => (
          <label key={field}>
            <span>{t(BOUNDS[field].label)}</span>
            <input
              name={field}
              inputMode="decimal"
              placeholder={BOUNDS[field].optional ? t('ruleOptional') : undefined}
              value={draft[field]}
              aria-invalid={Boolean(errors[field])}
              onChange={(event) => setDraft({ ...draft, [field]: event.target.value })}
            />
            {errors[field] ? (
              <span className="inline-error" role="alert" data-testid={`rule-error-${field}`}>
                {errors[field]}
              </span>
            ) : null}
          </label>
        ))}
        <label>
          <span>{t('ruleDirection')}</span>
          <select
            name="direction"
            value={draft.direction}
            onChange={(event) => setDraft({ ...draft, direction: event.target.value as Direction })}
          >
            <option value="both">{t('directionBoth')}</option>
            <option value="above">{t('directionAbove')}</option>
            <option value="below">{t('directionBelow')}</option>
          </select>
        </label>
        <label className="rule-check">
          <input
            type="checkbox"
            name="enabled"
            checked={draft.enabled}
            onChange={(event) => setDraft({ ...draft, enabled: event.target.checked })}
          />
          <span>{t('ruleEnabled')}</span>
        </label>
        {picking ? (
          <Suspense fallback={null}>
            <ChannelPicker value={draft.notify} onChange={(notify) => setDraft({ ...draft, notify })} />
          </Suspense>
        ) : (
          <p className="rule-notify">
            <span data-testid="rule-notify">
              {t('ruleNotify')}{' '}
              {draft.notify === null
                ? t('ruleNotifyDefault')
                : draft.notify.length === 0
                  ? t('ruleNotifyNone')
                  : t('ruleNotifyChannels', { ids: draft.notify.join(', ') })}
            </span>{' '}
            <button type="button" className="button button-ghost" data-testid="rule-pick-channels" onClick={() => setPicking(true)}>
              {t('ruleChooseChannels')}
            </button>
          </p>
        )}
        <div className="rule-actions">
          <button type="submit" className="button" data-testid="rule-save">
            {t('ruleSave')}
          </button>
          <button type="button" className="button button-ghost" disabled={own === null} onClick={() => void backToDefaults()}>
            {t('ruleBackToDefaults')}
          </button>
          {saved ? <span data-testid="rule-saved">{t('ruleSaved')}</span> : null}
          {errors.form ? <span className="inline-error" role="alert">{errors.form}</span> : null}
        </div>
      </form>
    </section>
  );
}
