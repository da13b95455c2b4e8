import { useState, type FormEvent } from 'react';
import { Field } from '@/components/field';
import { Select, SelectInput } from '@/components/select';
import { ApiError } from '@/lib/api-client';
import { CHANNEL_KINDS, type Channel, type ChannelInput, type ChannelKind } from '../api/notify';
import { useNotifyText } from '../text';

type FieldKey = 'url' | 'secret' | 'headers' | 'token' | 'host' | 'port' | 'security' | 'username' | 'password' | 'from' | 'to';

interface FieldSpec {
  key: FieldKey;
  type: 'text' | 'password' | 'number' | 'security' | 'headers';
  required?: boolean;
}

/** An email channel's connection security (the select shows `none` as a dash). */
const SECURITY_OPTIONS = [
  { value: 'starttls', label: 'STARTTLS' },
  { value: 'tls', label: 'TLS' },
  { value: 'none', label: '—' },
];

export const KIND_FIELDS: Record<ChannelKind, FieldSpec[]> = {
  webhook: [
    { key: 'url', type: 'text', required: true },
    { key: 'secret', type: 'password' },
    { key: 'headers', type: 'headers' },
  ],
  slack: [{ key: 'url', type: 'text', required: true }],
  discord: [{ key: 'url', type: 'text', required: true }],
  ntfy: [
    { key: 'url', type: 'text', required: true },
    { key: 'token', type: 'password' },
  ],
  email: [
    { key: 'host', type: 'text', required: true },
    { key: 'port', type: 'number', required: true },
    { key: 'security', type: 'security', required: true },
    { key: 'username', type: 'text' },
    { key: 'password', type: 'password' },
    { key: 'from', type: 'text', required: true },
    { key: 'to', type: 'text', required: true },
  ],
  alertmanager: [{ key: 'url', type: 'text', required: true }],
};

export type FieldValues = Partial<Record<FieldKey, string>>;

/** The form's text fields from a stored config (secrets arrive masked and go back masked). */
export function fieldsFromConfig(config: Record<string, unknown>): FieldValues {
  const values: FieldValues = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === 'headers' && value && typeof value === 'object') {
      values.headers = Object.entries(value as Record<string, unknown>)
        .map(([name, text]) => `${name}: ${String(text)}`)
        .join('\n');
    } else if (key === 'to' && Array.isArray(value)) {
      values.to = value.join(', ');
    } else if (value !== null && value !== undefined) {
      values[key as FieldKey] = String(value);
    }
  }
  return values;
}

/** The API's `config` for a kind from the form's text fields; empty optional fields are left out. */
export function configFromFields(kind: ChannelKind, values: FieldValues): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const field of KIND_FIELDS[kind]) {
    const raw = (values[field.key] ?? '').trim();
    if (!raw) continue;
    if (field.type === 'number') config[field.key] = Number(raw);
    else if (field.key === 'to') config.to = raw.split(',').map((part) => part.trim()).filter(Boolean);
    else if (field.type === 'headers') {
      const headers: Record<string, string> = {};
      for (const line of raw.split('\n')) {
        const at = line.indexOf(':');
        if (at > 0) headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
      }
      config.headers = headers;
    } else config[field.key] = raw;
  }
  return config;
}

/** An API error as one line per problem (`config.url: …`), never the raw JSON. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (Array.isArray(error.detail)) {
      return error.detail
        .map((item: { loc?: unknown[]; msg?: string }) => {
          const where = (item.loc ?? []).filter((part) => part !== 'body').join('.');
          return where ? `${where}: ${item.msg ?? ''}` : String(item.msg ?? '');
        })
        .join('; ');
    }
    return typeof error.detail === 'string' ? error.detail : `HTTP ${error.status}`;
  }
  return error instanceof Error ? error.message : String(error);
}

interface ChannelFormProps {
  channel?: Channel;
  onSave: (input: ChannelInput) => Promise<void>;
  onCancel: () => void;
}

export function ChannelForm({ channel, onSave, onCancel }: ChannelFormProps) {
  const t = useNotifyText();
  const [name, setName] = useState(channel?.name ?? '');
  const [kind, setKind] = useState<ChannelKind>(channel?.kind ?? 'webhook');
  const [isDefault, setDefault] = useState(channel?.default ?? true);
  const [enabled, setEnabled] = useState(channel?.enabled ?? true);
  const [values, setValues] = useState<FieldValues>(() => (channel ? fieldsFromConfig(channel.config) : { port: '587', security: 'starttls' }));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSave({ name: name.trim(), kind, config: configFromFields(kind, values), default: isDefault, enabled });
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="notify-form" aria-label={channel ? t('editChannel') : t('addChannel')} onSubmit={submit}>
      <Field label={t('name')}>
        <input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} data-testid="channel-name" />
      </Field>
      <Select
        label={t('kind')}
        testId="channel-kind"
        value={kind}
        options={CHANNEL_KINDS.map((option) => ({ value: option, label: option }))}
        onChange={setKind}
      />
      {KIND_FIELDS[kind].map((field) => (
        <Field key={field.key} label={t(`field_${field.key}`)}>
          {field.type === 'headers' ? (
            <textarea rows={2} value={values.headers ?? ''} onChange={(e) => setValues({ ...values, headers: e.target.value })} />
          ) : field.type === 'security' ? (
            <SelectInput value={values.security ?? 'starttls'} options={SECURITY_OPTIONS} onChange={(security) => setValues({ ...values, security })} />
          ) : (
            <input
              type={field.type === 'number' ? 'number' : field.type === 'password' ? 'password' : 'text'}
              required={field.required}
              autoComplete="off"
              data-testid={`channel-${field.key}`}
              value={values[field.key] ?? ''}
              onChange={(e) => setValues({ ...values, [field.key]: e.target.value })}
            />
          )}
        </Field>
      ))}
      <label className="field field-check">
        <input type="checkbox" checked={isDefault} onChange={(e) => setDefault(e.target.checked)} />
        <span>{t('isDefault')}</span>
      </label>
      {channel ? (
        <label className="field field-check">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          <span>{t('enabled')}</span>
        </label>
      ) : null}
      {channel ? <p className="panel-hint">{t('secretKept')}</p> : null}
      {error ? (
        <p className="inline-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="modal-actions">
        <button type="submit" className="button button-primary" disabled={busy} data-testid="channel-save">
          {t('save')}
        </button>
        <button type="button" className="button button-ghost" onClick={onCancel}>
          {t('cancel')}
        </button>
      </div>
    </form>
  );
}
