import { listChannels, type Channel } from '../api/notify';
import { useAdminData } from '../hooks/use-admin-data';
import { useNotifyText } from '../text';

interface ChannelPickerProps {
  /** An alert rule's `notify` (SPEC §10): null = the default channels, [] = nobody. */
  value: number[] | null;
  onChange: (value: number[] | null) => void;
  /** Already loaded channels; fetched here when left out. */
  channels?: Channel[];
}

/** Which channels an alert rule notifies: for the rule editor. */
export function ChannelPicker({ value, onChange, channels }: ChannelPickerProps) {
  const t = useNotifyText();
  const loaded = useAdminData(() => (channels ? Promise.resolve(channels) : listChannels()), channels ?? []);
  const options = channels ?? loaded.data;
  const mode = value === null ? 'default' : value.length === 0 ? 'none' : 'chosen';
  return (
    <fieldset className="channel-picker">
      <legend className="field-label">{t('pickerLegend')}</legend>
      <label className="field-check">
        <input type="radio" name="notify-mode" checked={mode === 'default'} onChange={() => onChange(null)} />
        <span>{t('pickerDefault')}</span>
      </label>
      <label className="field-check">
        <input type="radio" name="notify-mode" checked={mode === 'none'} onChange={() => onChange([])} />
        <span>{t('pickerNone')}</span>
      </label>
      <label className="field-check">
        <input
          type="radio"
          name="notify-mode"
          checked={mode === 'chosen'}
          disabled={options.length === 0}
          onChange={() => onChange(options.slice(0, 1).map((channel) => channel.id))}
        />
        <span>{t('pickerChosen')}</span>
      </label>
      <ul className="channel-picker-list">
        {options.map((channel) => (
          <li key={channel.id}>
            <label className="field-check">
              <input
                type="checkbox"
                checked={value?.includes(channel.id) ?? false}
                onChange={(event) => {
                  const rest = (value ?? []).filter((id) => id !== channel.id);
                  onChange(event.target.checked ? [...rest, channel.id] : rest);
                }}
              />
              <span>
                {channel.name} <span className="chip chip-none">{channel.kind}</span>
              </span>
            </label>
          </li>
        ))}
      </ul>
      {loaded.error ? <p className="inline-error">{loaded.error}</p> : null}
      <a className="panel-hint" href="/settings/notifications">
        {t('manageChannels')}
      </a>
    </fieldset>
  );
}
