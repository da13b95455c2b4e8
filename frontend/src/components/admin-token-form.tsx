import { useState, type FormEvent } from 'react';
import type { TokenRequest } from '@/lib/admin-token';
import { useI18n } from '@/lib/i18n';
import { Field } from './field';

const TEXT = {
  en: {
    title: 'Admin token needed',
    hint: 'This part of ChronoView is for administrators. Enter the ADMIN_TOKEN the server was started with; it is kept until this tab is closed.',
    label: 'Admin token',
    ok: 'Continue',
    cancel: 'Cancel',
  },
  es: {
    title: 'Se necesita el token de administración',
    hint: 'Esta parte de ChronoView es para administradores. Escribe el ADMIN_TOKEN con el que se inició el servidor; se guarda hasta que cierres esta pestaña.',
    label: 'Token de administración',
    ok: 'Continuar',
    cancel: 'Cancelar',
  },
} as const;

/** The modal form that answers a `requestAdminToken` (admin-token-dialog.tsx shows it). */
export function AdminTokenForm({ request }: { request: TokenRequest }) {
  const { language } = useI18n();
  const text = TEXT[language];
  const [value, setValue] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const token = value.trim();
    setValue('');
    request.answer(token || null);
  };
  return (
    <div className="modal-backdrop">
      <form className="modal panel" role="dialog" aria-modal="true" aria-labelledby="admin-token-title" onSubmit={submit}>
        <h2 id="admin-token-title" className="panel-title">
          {text.title}
        </h2>
        <p className="panel-hint">{text.hint}</p>
        {request.reason ? <p className="inline-error">{request.reason}</p> : null}
        <Field label={text.label}>
          <input
            type="password"
            autoComplete="current-password"
            autoFocus
            data-testid="admin-token-input"
            value={value}
            onChange={(event) => setValue(event.target.value)}
          />
        </Field>
        <div className="modal-actions">
          <button type="submit" className="button button-primary">
            {text.ok}
          </button>
          <button
            type="button"
            className="button button-ghost"
            onClick={() => {
              setValue('');
              request.answer(null);
            }}
          >
            {text.cancel}
          </button>
        </div>
      </form>
    </div>
  );
}
