import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '@/app/app';
import { storeAdminToken } from '@/lib/admin-token';
import { I18nProvider } from '@/lib/i18n';
import { mockFetch } from '@/testing/mock-fetch';
import { renderWithProviders } from '@/testing/render';
import { configFromFields, fieldsFromConfig } from '../channel-form';
import { ChannelPicker } from '../channel-picker';

const TOKEN = 'let-me-in';

const hook = {
  id: 1,
  name: 'ops-hook',
  kind: 'webhook',
  config: { url: 'https://hooks.example.com/********', secret: '********', headers: { 'X-Team': '********' } },
  default: true,
  enabled: true,
  disabled_reason: null,
  secrets_unreadable: false,
};
const gone = { ...hook, id: 2, name: 'old-slack', kind: 'slack', default: false, enabled: false,
  disabled_reason: 'HTTP 410: the channel is disabled', config: { url: 'https://hooks.slack.com/********' } };
const delivery = {
  id: 'd-1', channel_id: 1, channel: 'ops-hook', event: 'opened', metric: 'temp.kitchen', incident_id: 'i1',
  state: 'silenced', attempts: 0, last_status: null, last_error: null,
  reason: 'silenced by silence 3 (temp.*) until 2030-01-01T00:00:00.000Z: oven maintenance',
  created_at: '2026-12-03T07:00:00.000Z', next_attempt_at: null, delivered_at: null,
};

function authorised(init: RequestInit | undefined): boolean {
  return new Headers(init?.headers).get('Authorization') === `Bearer ${TOKEN}`;
}

describe('notifications page', () => {
  beforeEach(() => {
    storeAdminToken(null);
    window.history.replaceState(null, '', '/settings/notifications');
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    window.history.replaceState(null, '', '/');
  });

  it('asks for the admin token when refused, keeps it, and lists channels, silences and deliveries', async () => {
    const sent: Array<{ url: string; method: string; body: unknown }> = [];
    mockFetch((url, init) => {
      if (!authorised(init)) return { status: 403, body: { detail: 'management endpoints answer only local clients until ADMIN_TOKEN is set' } };
      sent.push({ url: url.pathname, method: init?.method ?? 'GET', body: init?.body ? JSON.parse(String(init.body)) : null });
      if (url.pathname === '/channels' && (init?.method ?? 'GET') === 'GET') return { body: [hook, gone] };
      if (url.pathname === '/channels/1/test') return { body: { ok: true, status: 200, detail: 'delivered', delivery_id: 'x' } };
      if (url.pathname === '/channels/1' && init?.method === 'PUT') return { body: hook };
      if (url.pathname === '/silences') return { body: [{ id: 3, match: 'temp.*', until: '2030-01-01T00:00:00.000Z', comment: 'oven maintenance', active: true }] };
      if (url.pathname === '/notifications') return { body: [delivery] };
      return undefined;
    });
    const user = userEvent.setup();
    renderWithProviders(<App />);
    const input = await screen.findByTestId('admin-token-input');
    expect(screen.getByRole('dialog')).toHaveTextContent('ADMIN_TOKEN');
    await user.type(input, TOKEN);
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    const row = await screen.findByTestId('channel-row-ops-hook');
    expect(sessionStorage.getItem('chronoview.adminToken')).toBe(TOKEN);
    expect(screen.getByTestId('channel-row-old-slack')).toHaveTextContent('HTTP 410');
    expect(await screen.findByText(/oven maintenance/, { selector: 'td' })).toBeInTheDocument();
    expect(screen.getByTestId('silences')).toHaveTextContent('temp.*');

    await user.click(within(row).getByRole('button', { name: 'Send test' }));
    expect(await within(row).findByTestId('test-result')).toHaveTextContent('Delivered (HTTP 200)');

    // Editing sends the masked secrets back untouched, so the server keeps them.
    await user.click(within(row).getByRole('button', { name: 'Edit' }));
    await user.clear(screen.getByTestId('channel-name'));
    await user.type(screen.getByTestId('channel-name'), 'ops');
    await user.click(screen.getByTestId('channel-save'));
    await waitFor(() => expect(sent.some((s) => s.method === 'PUT')).toBe(true));
    const put = sent.find((s) => s.method === 'PUT')!;
    expect(put.body).toEqual({ name: 'ops', kind: 'webhook', default: true, enabled: true, config: hook.config });
  });

  it('shows the server’s field errors when a channel is refused', async () => {
    storeAdminToken(TOKEN);
    mockFetch((url, init) => {
      if (url.pathname === '/channels' && init?.method === 'POST') {
        return { status: 422, body: { detail: [{ loc: ['body', 'config', 'url'], msg: 'Input should be a valid URL', type: 'url_parsing' }] } };
      }
      if (url.pathname === '/channels' || url.pathname === '/silences' || url.pathname === '/notifications') return { body: [] };
      return undefined;
    });
    const user = userEvent.setup();
    renderWithProviders(<App />);
    await user.click(await screen.findByTestId('add-channel'));
    await user.type(screen.getByTestId('channel-name'), 'x');
    await user.type(screen.getByTestId('channel-url'), 'nope');
    await user.click(screen.getByTestId('channel-save'));
    expect(await screen.findByRole('alert')).toHaveTextContent('config.url: Input should be a valid URL');
  });
});

describe('channel form fields', () => {
  it('turn into each kind’s config and back', () => {
    expect(configFromFields('email', { host: 'smtp.x', port: '465', security: 'tls', from: 'a@x.io', to: 'b@x.io, c@x.io', password: '' }))
      .toEqual({ host: 'smtp.x', port: 465, security: 'tls', from: 'a@x.io', to: ['b@x.io', 'c@x.io'] });
    expect(configFromFields('webhook', { url: 'https://h', headers: 'X-A: 1\nbad line\nX-B: two: parts' }))
      .toEqual({ url: 'https://h', headers: { 'X-A': '1', 'X-B': 'two: parts' } });
    expect(fieldsFromConfig({ to: ['a@x.io', 'b@x.io'], headers: { 'X-A': '********' }, port: 25 }))
      .toEqual({ to: 'a@x.io, b@x.io', headers: 'X-A: ********', port: '25' });
  });
});

describe('channel picker', () => {
  it('chooses default channels, nobody, or a list', async () => {
    const onChange = vi.fn();
    const user = userEvent.setup();
    const channels = [hook, gone] as never;
    const view = renderWithProviders(<ChannelPicker value={null} onChange={onChange} channels={channels} />);
    expect(screen.getByLabelText('The default channels')).toBeChecked();
    await user.click(screen.getByLabelText('Nobody'));
    expect(onChange).toHaveBeenLastCalledWith([]);
    view.rerender(
      <I18nProvider initialLanguage="en">
        <ChannelPicker value={['1']} onChange={onChange} channels={channels} />
      </I18nProvider>,
    );
    await act(async () => {
      await user.click(screen.getByRole('checkbox', { name: /old-slack/ }));
    });
    expect(onChange).toHaveBeenLastCalledWith(['1', '2']);
  });
});
