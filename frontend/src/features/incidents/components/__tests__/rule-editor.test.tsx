import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { storeAdminToken } from '@/lib/admin-token';
import { mockFetch } from '@/testing/mock-fetch';
import { renderWithProviders } from '@/testing/render';
import { RuleEditor } from '../rule-editor';

const rule = {
  rule_id: 7, match: 'door', sigma: 3, window_seconds: 300, min_points: 10, direction: 'both',
  for_points: 2, resolve_after_seconds: 60, repeat_interval_seconds: 600, enabled: true, notify: ['2'],
};
const channel = (id: number, name: string) => ({
  id, name, kind: 'webhook', config: {}, default: id === 1, enabled: true, disabled_reason: null, secrets_unreadable: false,
});

type Sent = { method: string; path: string; body: Record<string, unknown> | null };

function serve(sent: Sent[]) {
  return mockFetch((url, init) => {
    const method = init?.method ?? 'GET';
    if (method !== 'GET') sent.push({ method, path: url.pathname, body: init?.body ? JSON.parse(String(init.body)) : null });
    if (url.pathname === '/metrics/door/rule') return { body: { metric: 'door', source: 'rule', rule } };
    if (url.pathname === '/alert-rules/7' && method === 'PUT') return { body: { id: 7, ...rule } };
    if (url.pathname === '/channels') return { body: [channel(1, 'ops'), channel(2, 'pager')] };
    return undefined;
  });
}

describe('rule editor', () => {
  beforeEach(() => storeAdminToken(null));
  afterEach(() => vi.unstubAllGlobals());

  it('keeps the reminder and the channels of a rule when another field is saved', async () => {
    const sent: Sent[] = [];
    const fetchSpy = serve(sent);
    const user = userEvent.setup();
    renderWithProviders(<RuleEditor metric="door" />);
    const sigma = await screen.findByRole('textbox', { name: 'k (σ)' });
    expect(screen.getByRole('textbox', { name: 'Remind every (s)' })).toHaveValue('600');
    expect(screen.getByTestId('rule-notify')).toHaveTextContent('channels 2');
    // Viewing a rule never calls the admin-only channel list.
    expect(fetchSpy.mock.calls.map(([url]) => new URL(String(url), 'http://x').pathname)).not.toContain('/channels');

    await user.clear(sigma);
    await user.type(sigma, '4');
    await user.click(screen.getByTestId('rule-save'));
    await screen.findByTestId('rule-saved');
    expect(sent).toEqual([{ method: 'PUT', path: '/alert-rules/7', body: expect.objectContaining({
      match: 'door', sigma: 4, repeat_interval_seconds: 600, notify: ['2'] }) }]);
  });

  it('names a reminder out of bounds and sends nothing; empty means no reminder', async () => {
    const sent: Sent[] = [];
    serve(sent);
    const user = userEvent.setup();
    renderWithProviders(<RuleEditor metric="door" />);
    const repeat = await screen.findByRole('textbox', { name: 'Remind every (s)' });
    await user.clear(repeat);
    await user.type(repeat, '30');
    await user.click(screen.getByTestId('rule-save'));
    expect(await screen.findByTestId('rule-error-repeat_interval_seconds')).toHaveTextContent('from 60 to 604800');
    expect(sent).toEqual([]);

    await user.clear(repeat);
    await user.click(screen.getByTestId('rule-save'));
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]?.body).toMatchObject({ repeat_interval_seconds: null });
  });

  it('chooses the channels with the picker, loading them only then', async () => {
    const sent: Sent[] = [];
    serve(sent);
    const user = userEvent.setup();
    renderWithProviders(<RuleEditor metric="door" />);
    await user.click(await screen.findByTestId('rule-pick-channels'));
    await user.click(await screen.findByRole('checkbox', { name: /ops/ }));
    await user.click(screen.getByTestId('rule-save'));
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]?.body).toMatchObject({ notify: ['2', '1'] });
  });
});
