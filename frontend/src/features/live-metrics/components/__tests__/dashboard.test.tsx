import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeSocketFactory, metricMessage } from '@/testing/fake-websocket';
import { mockFetch } from '@/testing/mock-fetch';
import { renderWithProviders } from '@/testing/render';
import { alertRow, catalogRow, seriesBody } from '@/testing/server-bodies';
import { Dashboard } from '../dashboard';

const T0 = Date.parse('2025-09-27T02:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

function backend(sigma = 2.5) {
  return mockFetch((url, init) => {
    if (url.pathname === '/metrics')
      return {
        body: [
          catalogRow('traffic', 104, iso(4), { simulated: true }),
          catalogRow('cpu', 40, iso(4), { simulated: true }),
        ],
      };
    if (url.pathname === '/metrics/traffic/series')
      return { body: seriesBody('traffic', [0, 1, 2, 3, 4].map((s) => ({ ts: iso(s), value: 100 + s }))) };
    if (url.pathname === '/alerts')
      return { body: [alertRow('traffic', iso(2), 150, 3.2)] };
    if (url.pathname === '/incidents') return { body: [] };
    if (url.pathname === '/metrics/traffic/rule')
      return { body: { metric: 'traffic', source: 'defaults', rule: { sigma, for_points: 2, enabled: true } } };
    if (url.pathname === '/snapshots' && init?.method === 'POST')
      return {
        status: 201,
        body: { id: 'f47ac10b-58cc-4372-a567-0e02b2c3d479', url: '/snapshot/f47ac10b-58cc-4372-a567-0e02b2c3d479', created_at: iso(10), delete_key: 'k' },
      };
    return undefined;
  });
}

function renderDashboard(props: Partial<Parameters<typeof Dashboard>[0]> = {}, language: 'en' | 'es' = 'en') {
  const fake = fakeSocketFactory();
  const incidents = fakeSocketFactory();
  const onChange = vi.fn();
  const view = renderWithProviders(
    <Dashboard
      metric="traffic"
      range="1h"
      onChange={onChange}
      createSocket={fake.factory}
      createIncidentSocket={incidents.factory}
      {...props}
    />,
    { language },
  );
  return { ...fake, incidents, onChange, view };
}

function incidentBody(event: 'opened' | 'resolved', metric: string, id = 'b1c2') {
  return {
    id, metric, state: event === 'opened' ? 'firing' : 'resolved', started_at: iso(6),
    resolved_at: event === 'opened' ? null : iso(70), last_alert_at: iso(6), peak_value: 97.5,
    peak_zscore: 4.2, alert_points: 1, rule: {},
  };
}

function incidentEvent(event: 'opened' | 'resolved', metric: string, id = 'b1c2') {
  return JSON.stringify({ type: 'incident', event, incident: incidentBody(event, metric, id) });
}

describe('Dashboard', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('shows history, then live points, with the count and newest ts exposed for tests', async () => {
    backend();
    const { last, sockets } = renderDashboard();
    await waitFor(() => expect(screen.getByTestId('point-count')).toHaveTextContent('5'));
    await waitFor(() => expect(sockets).toHaveLength(1));
    expect(screen.getByTestId('connection-badge')).toHaveAttribute('data-state', 'reconnecting');

    act(() => last().open());
    expect(screen.getByTestId('connection-badge')).toHaveAttribute('data-state', 'live');
    expect(screen.getByTestId('connection-badge')).toHaveTextContent('live');

    act(() => last().receive(metricMessage('traffic', iso(5), 123.45, { zscore: 1.5 })));
    await waitFor(() => expect(screen.getByTestId('point-count')).toHaveTextContent('6'));
    expect(screen.getByTestId('last-ts')).toHaveAttribute('data-ts', iso(5));
    expect(within(screen.getByTestId('single-stat')).getByTestId('current-value')).toHaveTextContent('123.45');
    expect(screen.getByTestId('current-zscore')).toHaveTextContent('+1.50');
  });

  it('shows a fixed window from the URL: exactly its history and alerts, no socket, the last value in it', async () => {
    const fetchSpy = backend();
    window.history.replaceState(null, '', `/?metric=traffic&range=1h&from=${iso(0)}&to=${iso(4)}`);
    try {
      const { sockets } = renderDashboard();
      await waitFor(() => expect(screen.getByTestId('point-count')).toHaveTextContent('5'));
      const asked = (path: string) =>
        fetchSpy.mock.calls.map(([input]) => new URL(String(input), 'http://localhost')).filter((url) => url.pathname === path);
      for (const path of ['/metrics/traffic/series', '/alerts']) {
        const [url] = asked(path);
        expect([url?.searchParams.get('from'), url?.searchParams.get('to'), url?.searchParams.has('hours')]).toEqual([iso(0), iso(4), false]);
      }
      expect(screen.getByTestId('single-stat')).toHaveTextContent('Last value in window');
      expect(screen.getByTestId('paused-badge')).toBeInTheDocument();
      expect(screen.getByTestId('connection-badge')).toHaveAttribute('data-state', 'paused');
      expect(screen.getByTestId('range-select')).toHaveValue('custom');
      expect(sockets).toHaveLength(0);

      await userEvent.click(screen.getByTestId('resume-live'));
      expect(window.location.search).toBe('?metric=traffic&range=1h');
      expect(screen.queryByTestId('paused-badge')).toBeNull();
      await waitFor(() => expect(sockets).toHaveLength(1));
    } finally {
      window.history.replaceState(null, '', '/');
    }
  });

  it('draws the band and thresholds with the k the server alerts on', async () => {
    backend(4);
    const { last, sockets } = renderDashboard();
    await waitFor(() => expect(sockets).toHaveLength(1));
    act(() => {
      last().open();
      last().receive(metricMessage('traffic', iso(5), 101, { mean: 100, std: 2 }));
    });
    const card = screen.getByTestId('single-stat');
    await waitFor(() => expect(card).toHaveTextContent('Baseline μ ± 4σ'));
    expect(card).toHaveTextContent('100 ± 8');
    expect(screen.getByText('Visible values; dashed lines are the alert thresholds μ ± 4σ')).toBeInTheDocument();
  });

  it('follows a rule changed elsewhere while live', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      backend(4);
      renderDashboard();
      const card = await screen.findByTestId('single-stat');
      await waitFor(() => expect(card).toHaveTextContent('Baseline μ ± 4σ'));
      backend(3);
      await act(async () => {
        await vi.advanceTimersByTimeAsync(10_000);
      });
      await waitFor(() => expect(card).toHaveTextContent('Baseline μ ± 3σ'));
    } finally {
      vi.useRealTimers();
    }
  });

  it('lists alerts newest first and shows the pending state of the metric', async () => {
    backend();
    const { last, sockets } = renderDashboard();
    await waitFor(() => expect(sockets).toHaveLength(1));
    await waitFor(() => expect(screen.getAllByTestId('alert-item')).toHaveLength(1));
    act(() => {
      last().open();
      last().receive(metricMessage('traffic', iso(6), 180, { alert: true, zscore: 3.5, state: 'pending', pending: 1 }));
    });
    const items = screen.getAllByTestId('alert-item');
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent('180');
    expect(items[0]).toHaveTextContent('+3.50');
    await waitFor(() => expect(screen.getByTestId('alert-state')).toHaveAttribute('data-state', 'alert'));
    await waitFor(() => expect(screen.getByTestId('incident-state')).toHaveTextContent('Pending 1 of 2'));
    expect(screen.queryByTestId('incident-notice')).toBeNull(); // an alert point is not an incident
  });

  it('announces an incident opened on any metric once, counts it in the header, and notes its end quietly', async () => {
    backend();
    const { incidents } = renderDashboard();
    await waitFor(() => expect(incidents.sockets).toHaveLength(1));
    act(() => {
      incidents.last().open();
      incidents.last().receive(incidentEvent('opened', 'cpu'));
    });
    expect(screen.getByTestId('incident-notice')).toHaveAttribute('data-metric', 'cpu');
    expect(screen.getByTestId('firing-indicator')).toHaveAttribute('data-count', '1');
    act(() => incidents.last().receive(incidentEvent('opened', 'cpu'))); // a repeat is not a new notice
    expect(screen.getAllByTestId('incident-notice')).toHaveLength(1);
    act(() => incidents.last().receive(incidentEvent('resolved', 'cpu')));
    expect(screen.getByTestId('firing-indicator')).toHaveAttribute('data-count', '0');
    expect(screen.getByTestId('incident-resolved')).toHaveTextContent('cpu resolved');
  });

  it('announces an incident the firing list read after the socket opened already holds', async () => {
    // The read reached the server after the incident opened; its event comes after the answer.
    const base = backend();
    const firing = [incidentBody('opened', 'cpu')];
    vi.stubGlobal('fetch', vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input), 'http://localhost');
      if (url.pathname === '/incidents' && url.searchParams.get('state') === 'firing')
        return new Response(JSON.stringify(firing), { headers: { 'Content-Type': 'application/json' } });
      return base(input, init);
    }));
    const { incidents } = renderDashboard();
    await waitFor(() => expect(incidents.sockets).toHaveLength(1));
    act(() => incidents.last().open());
    await waitFor(() => expect(screen.getByTestId('firing-indicator')).toHaveAttribute('data-count', '1'));
    act(() => incidents.last().receive(incidentEvent('opened', 'cpu')));
    expect(screen.getByTestId('incident-notice')).toHaveAttribute('data-metric', 'cpu');
    expect(screen.getByTestId('firing-indicator')).toHaveAttribute('data-count', '1');
  });

  it('keeps the incidents told while the firing list was being read, when the read answers from before them', async () => {
    const base = backend();
    let answer: (body: unknown) => void = () => undefined;
    vi.stubGlobal('fetch', vi.fn((input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input), 'http://localhost');
      if (url.pathname === '/incidents' && url.searchParams.get('state') === 'firing')
        return new Promise<Response>((resolve) => {
          answer = (body) => resolve(new Response(JSON.stringify(body), { headers: { 'Content-Type': 'application/json' } }));
        });
      return base(input, init);
    }));
    const { incidents } = renderDashboard();
    await waitFor(() => expect(incidents.sockets).toHaveLength(1));
    act(() => incidents.last().open());
    act(() => {
      incidents.last().receive(incidentEvent('opened', 'cpu', 'new'));
      incidents.last().receive(incidentEvent('resolved', 'traffic', 'old'));
    });
    // The read was answered before both events: the old one still firing, the new one not yet.
    await act(async () => answer([incidentBody('opened', 'traffic', 'old')]));
    await waitFor(() => expect(screen.getByTestId('firing-indicator')).toHaveAttribute('data-count', '1'));
    await userEvent.click(screen.getByTestId('firing-indicator'));
    expect(screen.getByTestId('firing-list')).toHaveTextContent('cpu');
    expect(screen.getByTestId('firing-list')).not.toHaveTextContent('traffic');
    expect(screen.getAllByTestId('incident-notice')).toHaveLength(1);
    expect(screen.getByTestId('incident-notice')).toHaveAttribute('data-metric', 'cpu');
  });

  it('offers the selectors and export links for the metric and range', async () => {
    backend();
    const { onChange } = renderDashboard();
    const select = screen.getByTestId('metric-select');
    await waitFor(() => expect(within(select).getAllByRole('option').map((o) => o.textContent)).toEqual(['cpu', 'traffic']));
    await userEvent.selectOptions(select, 'cpu');
    expect(onChange).toHaveBeenCalledWith({ metric: 'cpu' });
    await userEvent.selectOptions(screen.getByTestId('range-select'), '24h');
    expect(onChange).toHaveBeenCalledWith({ range: '24h' });

    expect(screen.getByTestId('export-csv')).toHaveAttribute('href', '/export/csv?metric=traffic&hours=1');
    expect(screen.getByTestId('export-excel')).toHaveAttribute('href', '/export/csv?metric=traffic&hours=1&format=excel');
    expect(screen.getByTestId('export-excel-eu')).toHaveAttribute(
      'href',
      '/export/csv?metric=traffic&hours=1&format=excel-eu',
    );
  });

  it('picks a metric from the catalog when the URL has none', async () => {
    backend();
    const { onChange } = renderDashboard({ metric: null });
    await waitFor(() => expect(onChange).toHaveBeenCalledWith({ metric: 'traffic' }, { replace: true }));
  });

  it('saves a snapshot of the state and shows the link to copy', async () => {
    const fetchSpy = backend();
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    renderDashboard();
    await userEvent.click(screen.getByTestId('snapshot-button'));
    const link = await screen.findByTestId('snapshot-link');
    expect(link).toHaveAttribute('href', `${window.location.origin}/snapshot/f47ac10b-58cc-4372-a567-0e02b2c3d479`);

    const post = fetchSpy.mock.calls.find(([, init]) => init?.method === 'POST');
    const body = JSON.parse(String(post![1]!.body));
    expect(body.state).toMatchObject({ selectedMetric: 'traffic', timeRangeHours: 1, range: '1h', layout: { panels: expect.any(Array) } });

    await userEvent.click(screen.getByTestId('copy-link'));
    expect(writeText).toHaveBeenCalledWith(link.getAttribute('href'));
    expect(screen.getByTestId('copy-link')).toHaveTextContent('Copied');
  });

  it('speaks Spanish, badge included', async () => {
    backend();
    const { last, sockets } = renderDashboard({}, 'es');
    await waitFor(() => expect(sockets).toHaveLength(1));
    act(() => last().open());
    expect(screen.getByTestId('connection-badge')).toHaveTextContent('en vivo');
    expect(screen.getByText('Valor actual')).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByTestId('language-select'), 'en');
    expect(screen.getByTestId('connection-badge')).toHaveTextContent('live');
    expect(document.documentElement.lang).toBe('en');
  });

  it('says offline when the server cannot be reached', async () => {
    mockFetch(() => ({ status: 503, body: { detail: 'down' } }));
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const { last, sockets } = renderDashboard();
      await waitFor(() => expect(sockets).toHaveLength(1));
      for (let i = 0; i < 3; i++) {
        act(() => last().serverClose(1006));
        await act(async () => {
          await vi.advanceTimersByTimeAsync(40_000);
        });
      }
      expect(screen.getByTestId('connection-badge')).toHaveAttribute('data-state', 'offline');
      expect(screen.getByTestId('connection-badge')).toHaveTextContent('offline');
      expect(screen.getByText(/server is unreachable/)).toBeInTheDocument();
    } finally {
      vi.useRealTimers();
    }
  });

  it('says a metric does not exist and opens no socket for it', async () => {
    backend();
    const { sockets } = renderDashboard({ metric: 'tarffic' });
    await waitFor(() => expect(screen.getByText(/There is no metric named “tarffic”/)).toBeInTheDocument());
    expect(screen.getByTestId('connection-badge')).toHaveAttribute('data-state', 'waiting');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sockets).toHaveLength(0);
  });

  it('adds and removes a metric the moment the stream announces it, then reads the catalog again', async () => {
    const catalog = [catalogRow('traffic', 104, iso(4))];
    const fetchSpy = mockFetch((url) => (url.pathname === '/metrics' ? { body: catalog } : { body: [] }));
    const { incidents } = renderDashboard();
    const select = screen.getByTestId('metric-select');
    const names = () => within(select).getAllByRole('option').map((o) => o.textContent);
    const catalogReads = () => fetchSpy.mock.calls.filter(([input]) => new URL(String(input), 'http://localhost').pathname === '/metrics').length;
    await waitFor(() => expect(names()).toEqual(['traffic']));
    await waitFor(() => expect(incidents.sockets).toHaveLength(1));
    act(() => incidents.last().open());
    await waitFor(() => expect(catalogReads()).toBeGreaterThanOrEqual(2)); // the first, and one on open
    await new Promise((resolve) => setTimeout(resolve, 50));
    const readsBefore = catalogReads();
    catalog.unshift(catalogRow('fresh', 1, iso(5)));
    act(() => incidents.last().receive({ type: 'catalog', event: 'added', metric: 'fresh' }));
    expect(names()).toEqual(['fresh', 'traffic']); // at once, before any read of the catalog
    await waitFor(() => expect(catalogReads()).toBe(readsBefore + 1));

    catalog.shift();
    act(() => incidents.last().receive(JSON.stringify({ type: 'catalog', event: 'removed', metric: 'fresh' })));
    expect(names()).toEqual(['traffic']);
  });

  it('brings a metric the URL named before it existed to life when its first point is announced', async () => {
    backend();
    const { sockets, incidents } = renderDashboard({ metric: 'fresh' });
    await waitFor(() => expect(screen.getByText(/There is no metric named “fresh”/)).toBeInTheDocument());
    await waitFor(() => expect(incidents.sockets).toHaveLength(1));
    expect(sockets).toHaveLength(0);
    act(() => {
      incidents.last().open();
      incidents.last().receive({ type: 'catalog', event: 'added', metric: 'fresh' });
    });
    expect(screen.queryByText(/There is no metric named/)).toBeNull();
    await waitFor(() => expect(sockets.map((socket) => socket.searchParams.get('metric'))).toEqual(['fresh']));
  });

  it('reads the catalog again when its socket opens: a metric announced before then still comes to life', async () => {
    const catalog = [catalogRow('traffic', 104, iso(4))];
    mockFetch((url) => (url.pathname === '/metrics' ? { body: catalog } : { body: [] }));
    const { sockets, incidents } = renderDashboard({ metric: 'fresh' });
    await waitFor(() => expect(screen.getByText(/There is no metric named “fresh”/)).toBeInTheDocument());
    await waitFor(() => expect(incidents.sockets).toHaveLength(1));
    // Its first point is stored and announced after the page read the catalog, before the
    // socket subscribed: no message will say so.
    catalog.unshift(catalogRow('fresh', 1, iso(5)));
    act(() => incidents.last().open());
    await waitFor(() => expect(screen.queryByText(/There is no metric named/)).toBeNull());
    expect(screen.getByTestId('connection-badge')).not.toHaveAttribute('data-state', 'waiting');
    await waitFor(() => expect(sockets.map((socket) => socket.searchParams.get('metric'))).toEqual(['fresh']));
  });

  it('shows the metric meta and calls a value that stopped arriving stale, not Normal', async () => {
    const now = Date.now();
    mockFetch((url) => {
      if (url.pathname === '/metrics')
        return { body: [catalogRow('temp', 21, new Date(now).toISOString(), { unit: '°C', label: 'Boiler', decimals: 1 })] };
      if (url.pathname === '/metrics/temp/series')
        return {
          body: seriesBody(
            'temp',
            Array.from({ length: 10 }, (_, i) => ({
              ts: new Date(now - 20_000 + i * 1000).toISOString(),
              value: 21.04 + i / 100,
              zscore: 0.5,
              mean: 21,
              std: 0.1,
            })),
          ),
        };
      return { body: [] };
    });
    const { last } = renderDashboard({ metric: 'temp' });
    await waitFor(() => expect(screen.getByTestId('current-value')).toHaveTextContent(/^21\.1\s°C$/));
    expect(screen.getByTestId('single-stat')).toHaveTextContent('Boiler (temp)');
    // Not connected yet: the card does not vouch for the value.
    expect(screen.getByTestId('alert-state')).toHaveAttribute('data-state', 'offline');
    await waitFor(() => expect(last()).toBeTruthy());
    act(() => last().open());
    // Connected, but the newest point is 11 s old at 1 s intervals: past the 5 s gap threshold.
    await waitFor(() => expect(screen.getByTestId('alert-state')).toHaveAttribute('data-state', 'stale'));
    act(() => last().receive(metricMessage('temp', new Date().toISOString(), 21.3, { zscore: 1, mean: 21, std: 0.1 })));
    await waitFor(() => expect(screen.getByTestId('alert-state')).toHaveAttribute('data-state', 'normal'));
    act(() => last().serverClose(1006));
    await waitFor(() => expect(screen.getByTestId('alert-state')).toHaveAttribute('data-state', 'offline'));
  });
});
