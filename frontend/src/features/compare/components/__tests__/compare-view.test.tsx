import { act, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeSocketFactory } from '@/testing/fake-websocket';
import { mockFetch } from '@/testing/mock-fetch';
import { renderWithProviders } from '@/testing/render';
import { catalogRow, seriesBody } from '@/testing/server-bodies';
import { CompareView } from '../compare-view';

const T0 = Date.parse('2025-09-27T02:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

describe('CompareView', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('adds and removes a metric in the picker the moment the stream announces it, then reads the catalog again', async () => {
    const catalog = [catalogRow('cpu', 40, iso(4)), catalogRow('traffic', 104, iso(4))];
    const fetchSpy = mockFetch((url) => {
      if (url.pathname === '/metrics') return { body: catalog };
      if (url.pathname === '/metrics/traffic/series') return { body: seriesBody('traffic', [{ ts: iso(0), value: 100 }]) };
      return { body: [] };
    });
    const incidents = fakeSocketFactory();
    renderWithProviders(
      <CompareView
        query={{ metrics: ['traffic'], layout: 'overlay', range: '15m', from: null, to: null }}
        onChange={vi.fn()}
        createSocket={fakeSocketFactory().factory}
        createIncidentSocket={incidents.factory}
      />,
    );
    const addable = () => within(screen.getByTestId('compare-add')).getAllByRole('option').map((o) => o.textContent);
    const catalogReads = () => fetchSpy.mock.calls.filter(([input]) => new URL(String(input), 'http://localhost').pathname === '/metrics').length;
    await waitFor(() => expect(addable()).toEqual(['+', 'cpu']));
    await waitFor(() => expect(incidents.sockets).toHaveLength(1));
    expect(incidents.last().searchParams.get('incidents')).toBe('1');
    // Opening, the socket reads the catalog again: what was announced before it subscribed.
    const readsBeforeOpen = catalogReads();
    catalog.push(catalogRow('early', 1, iso(5)));
    act(() => incidents.last().open());
    await waitFor(() => expect(addable()).toEqual(['+', 'cpu', 'early']));
    expect(catalogReads()).toBe(readsBeforeOpen + 1);
    const readsBefore = catalogReads();
    catalog.push(catalogRow('fresh', 1, iso(5)));
    act(() => incidents.last().receive({ type: 'catalog', event: 'added', metric: 'fresh' }));
    expect(addable()).toEqual(['+', 'cpu', 'early', 'fresh']); // at once, before any read of the catalog
    expect(catalogReads()).toBe(readsBefore);
    await waitFor(() => expect(catalogReads()).toBe(readsBefore + 1));

    catalog.pop();
    act(() => incidents.last().receive(JSON.stringify({ type: 'catalog', event: 'removed', metric: 'fresh' })));
    expect(addable()).toEqual(['+', 'cpu', 'early']);
  });
});
