import { listChannels, type Channel } from '../api/notify';
import { useAdminData } from '../hooks/use-admin-data';
import { useNotifyText } from '../text';
import '../notifications.css';

interface ChannelPickerProps {
  /** An alert rule's `notify` (SPEC §10), channel ids as text: null = the default channels, [] = nobody. */
  value: readonly (string | number)[] | null;
  onChange: (value: string[] | null) => void;
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
          onChange={() => onChange(options.slice(0, 1).map((channel) => String(channel.id)))}
        />
        <span>{t('pickerChosen')}</span>
      </label>
      <ul className="channel-picker-list">
        {options.map((channel) => {
          const id = String(channel.id);
          const chosen = value?.map(String) ?? [];
          return (
            <li key={channel.id}>
              <label className="field-check">
                <input
                  type="checkbox"
                  checked={chosen.includes(id)}
                  onChange={(event) => {
                    const rest = chosen.filter((other) => other !== id);
                    onChange(event.target.checked ? [...rest, id] : rest);
                  }}
                />
                <span>
                  {channel.name} <span className="chip chip-none">{channel.kind}</span>
                </span>
              </label>
            </li>
          );
        })}
      </ul>
      {loaded.error ? <p className="inline-error">{loaded.error}</p> : null}
      <a className="panel-hint" href="/settings/notifications">
        {t('manageChannels')}
      </a>
    </fieldset>
  );
}
