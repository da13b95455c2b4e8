import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { catalogRow, seriesBody } from '@/testing/server-bodies';
import { mockFetch } from '@/testing/mock-fetch';
import { renderWithProviders } from '@/testing/render';
import { App } from '../app';
import { restoreState } from '../routes/snapshot';

const ID = 'f47ac10b-58cc-4372-a567-0e02b2c3d479';
const T0 = Date.parse('2025-09-27T02:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

describe('restoreState', () => {
  it('restores the metric and the range from a snapshot state', () => {
    expect(restoreState({ selectedMetric: 'cpu', timeRangeHours: 6, layout: {} })).toEqual({ metric: 'cpu', range: '6h' });
    expect(restoreState({ selectedMetric: 'cpu', timeRangeHours: 1, range: '5m' })).toEqual({ metric: 'cpu', range: '5m' });
    expect(restoreState({ selectedMetric: 'cpu', timeRangeHours: 0.25 })).toEqual({ metric: 'cpu', range: '15m' });
    expect(restoreState({ selectedMetric: '../etc', timeRangeHours: 'x' })).toEqual({ metric: null, range: '15m' });
  });
});

describe('/snapshot/<id>', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('shows the frozen data, says when it was taken, and goes live', async () => {
    const sockets: unknown[] = [];
    vi.stubGlobal(
      'WebSocket',
      class {
        constructor(url: string) {
          sockets.push(url);
        }
        close() {}
      },
    );
    const fetchSpy = mockFetch((url) => {
      if (url.pathname === `/snapshots/${ID}`)
        return {
          body: {
            id: ID,
            state: { selectedMetric: 'traffic', timeRangeHours: 1, layout: { panels: [] } },
            created_at: iso(3600),
            data: {
              from: iso(0),
              to: iso(3600),
              series: {
                traffic: seriesBody(
                  'traffic',
                  [1, 2, 3].map((s) => ({ ts: iso(s), value: 10 * s })),
                  [{ ts: iso(3), value: 30, zscore: 2.9 }],
                ),
              },
            },
          },
        };
      // Live again, the metric must exist for a socket to wait for it.
      if (url.pathname === '/metrics') return { body: [catalogRow('traffic', 1, iso(3))] };
      return { body: seriesBody('traffic', []) };
    });
    window.history.replaceState(null, '', `/snapshot/${ID}`);
    renderWithProviders(<App />);

    await waitFor(() => expect(screen.getByTestId('snapshot-banner')).toHaveTextContent('Snapshot of traffic'));
    expect(screen.getByTestId('connection-badge')).toHaveAttribute('data-state', 'snapshot');
    const banner = screen.getByTestId('snapshot-banner');
    expect(banner).toHaveTextContent('2025');
    expect(banner).toHaveTextContent('as it was saved');
    await waitFor(() => expect(screen.getByTestId('point-count')).toHaveTextContent('3'));
    expect(screen.getByTestId('metric-select')).toHaveValue('traffic');
    expect(screen.getByTestId('range-select')).toHaveValue('1h');
    expect(screen.getAllByTestId('alert-item')).toHaveLength(1);
    // A snapshot does not stream and does not fetch live history.
    expect(sockets).toHaveLength(0);
    expect(fetchSpy.mock.calls.some(([url]) => String(url).includes('/series'))).toBe(false);

    await userEvent.click(screen.getByTestId('go-live'));
    expect(window.location.pathname).toBe('/');
    expect(window.location.search).toBe('?metric=traffic&range=1h');
    await waitFor(() => expect(screen.queryByTestId('snapshot-banner')).not.toBeInTheDocument());
    // Live: the metric's stream and the incident stream of every metric.
    await waitFor(() => expect(sockets).toHaveLength(2));
    expect(sockets.filter((url) => String(url).includes('incidents=1'))).toHaveLength(1);
  });

  it('without frozen data shows the history up to when it was taken', async () => {
    const fetchSpy = mockFetch((url) => {
      if (url.pathname === `/snapshots/${ID}`)
        return { body: { id: ID, state: { selectedMetric: 'cpu', timeRangeHours: 0.25 }, created_at: iso(900) } };
      if (url.pathname === '/metrics/cpu/series')
        return { body: seriesBody('cpu', [{ ts: iso(899), value: 5 }]) };
      return { body: [] };
    });
    window.history.replaceState(null, '', `/snapshot/${ID}`);
    renderWithProviders(<App />);
    await waitFor(() => expect(screen.getByTestId('point-count')).toHaveTextContent('1'));
    const seriesUrl = new URL(String(fetchSpy.mock.calls.find(([url]) => String(url).includes('/series'))![0]), 'http://x');
    expect(seriesUrl.searchParams.get('to')).toBe(iso(900));
    expect(seriesUrl.searchParams.get('from')).toBe(iso(0));
    expect(screen.getByTestId('snapshot-banner')).toHaveTextContent('up to when it was taken');
  });

  it('says so when the snapshot does not exist', async () => {
    mockFetch(() => ({ status: 404, body: { detail: 'not found' } }));
    window.history.replaceState(null, '', `/snapshot/${ID}`);
    renderWithProviders(<App />);
    await waitFor(() => expect(screen.getByTestId('snapshot-banner')).toHaveTextContent('does not exist'));
    expect(screen.getByTestId('go-live')).toBeInTheDocument();
  });
});
