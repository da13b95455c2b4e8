// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseIncidentEvent } from '@/features/incidents/api/incidents';
import { ContractError } from '@/lib/contract';
import { alertRow, catalogRow, seriesBody } from '@/testing/server-bodies';
import { parseAlerts, parseCatalog, parseCatalogEvent, parseCreatedSnapshot, parseSeries, parseSnapshot, parseStreamMessage } from '../parse';

const ms = (text: string) => Date.parse(text);

/** The §6 message exactly as the server sends it. */
const MESSAGE = {
  type: 'metric',
  data: { metric: 'traffic', value: 101.2, ts: '2025-09-27T02:33:11.000Z' },
  alert: true,
  zscore: 3.01,
  mean: 95.0,
  std: 2.06,
  n: 300,
  state: 'pending',
  pending: 1,
  seq: 42,
};

function without(key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...MESSAGE };
  delete copy[key];
  return copy;
}

describe('parseStreamMessage', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reads the §6 message, as text or parsed', () => {
    const expected = {
      metric: 'traffic',
      seq: 42,
      point: {
        ts: ms('2025-09-27T02:33:11Z'),
        value: 101.2,
        tsRaw: '2025-09-27T02:33:11.000Z',
        alert: true,
        zscore: 3.01,
        mean: 95,
        std: 2.06,
        state: 'pending',
        pending: 1,
      },
      alert: true,
      zscore: 3.01,
      mean: 95,
      std: 2.06,
      n: 300,
      state: 'pending',
    };
    expect(parseStreamMessage(JSON.stringify(MESSAGE))).toEqual(expected);
    expect(parseStreamMessage(MESSAGE)).toEqual(expected);
  });

  it('reads null z-score/mean/std (warming up) and no pending count outside pending', () => {
    const message = parseStreamMessage({ ...without('pending'), state: 'normal', zscore: null, mean: null, std: null, alert: false });
    expect(message?.point).toMatchObject({ zscore: null, mean: null, std: null, state: 'normal', pending: 0 });
  });

  it('returns null, quietly, for another message type', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(parseStreamMessage({ type: 'incident', event: 'opened', incident: {} })).toBeNull();
    expect(error).not.toHaveBeenCalled();
  });

  it.each([
    ['a missing seq', without('seq')],
    ['a missing state', without('state')],
    ['a missing n', without('n')],
    ['an unknown field', { ...MESSAGE, extra: 1 }],
    ['a seq that is not an integer', { ...MESSAGE, seq: 1.5 }],
    ['an unknown state', { ...MESSAGE, state: 'sleeping' }],
    ['`t`/`v` instead of ts/value', { ...MESSAGE, data: { metric: 'traffic', t: '2025-09-27T02:33:11Z', v: 1 } }],
    ['`timestamp` instead of ts', { ...MESSAGE, data: { metric: 'traffic', value: 1, timestamp: '2025-09-27T02:33:11Z' } }],
    ['an epoch number for ts', { ...MESSAGE, data: { metric: 'traffic', value: 1, ts: 1_700_000_000 } }],
    ['a string value', { ...MESSAGE, data: { metric: 'traffic', value: '1', ts: '2025-09-27T02:33:11Z' } }],
    ['an unreadable ts', { ...MESSAGE, data: { metric: 'traffic', value: 1, ts: 'yesterday' } }],
    ['text that is not JSON', 'nope'],
  ])('drops a message with %s, loudly', (_, raw) => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(parseStreamMessage(raw)).toBeNull();
    expect(error).toHaveBeenCalledOnce();
    expect(String(error.mock.calls[0]![0])).toContain('breaks the contract');
  });
});

describe('parseIncidentEvent', () => {
  afterEach(() => vi.restoreAllMocks());

  it('shares the message reading: another type is null, a broken incident message is dropped loudly', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(parseIncidentEvent(JSON.stringify(MESSAGE))).toBeNull();
    expect(error).not.toHaveBeenCalled();
    expect(parseIncidentEvent({ type: 'incident', event: 'reopened', incident: {} })).toBeNull();
    expect(error).toHaveBeenCalledOnce();
  });
});

describe('parseSeries', () => {
  it('reads points and flags the alert points, adding those downsampling dropped', () => {
    const series = parseSeries(
      seriesBody(
        'traffic',
        [
          { ts: '2025-09-27T02:00:00Z', value: 1, zscore: -3, mean: 5, std: 1 },
          { ts: '2025-09-27T02:00:02Z', value: 3 },
        ],
        [
          { ts: '2025-09-27T02:00:00Z', value: 1, zscore: -3 },
          { ts: '2025-09-27T02:00:01Z', value: 50, zscore: 4 },
        ],
      ),
    );
    expect(series.points.map((point) => [point.value, point.alert ?? false])).toEqual([
      [1, true],
      [50, true],
      [3, false],
    ]);
    expect(series.points[0]).toMatchObject({ mean: 5, std: 1, zscore: -3 });
    expect(series.alerts[0]).toMatchObject({ metric: 'traffic', value: 50, zscore: 4 });
  });

  it('reads the seq of a live range, where its stream resumes; a fixed range has none', () => {
    expect(parseSeries({ ...seriesBody('x', []), seq: 12 }).seq).toBe(12);
    expect(parseSeries(seriesBody('x', []))).not.toHaveProperty('seq');
  });

  it.each([
    ['a bare list', [{ ts: '2025-09-27T02:00:00Z', value: 1, zscore: null, mean: null, std: null }]],
    ['a wrapped list under another key', { ...seriesBody('x', []), points: undefined, data: [] }],
    ['[ts, value] pairs', { ...seriesBody('x', []), points: [['2025-09-27T02:00:00Z', 1]] }],
    ['a point with `t`/`v`', { ...seriesBody('x', []), points: [{ t: '2025-09-27T02:00:00Z', v: 1, zscore: null, mean: null, std: null }] }],
    ['a point without its baseline', { ...seriesBody('x', []), points: [{ ts: '2025-09-27T02:00:00Z', value: 1 }] }],
    ['epoch seconds', { ...seriesBody('x', []), points: [{ ts: 1_700_000_000, value: 1, zscore: null, mean: null, std: null }] }],
    ['no downsampled flag', { metric: 'x', from: '2025-09-27T02:00:00Z', to: '2025-09-27T03:00:00Z', points: [], alerts: [] }],
    ['a seq that is not an integer', { ...seriesBody('x', []), seq: '12' }],
  ])('refuses %s', (_, body) => {
    expect(() => parseSeries(body)).toThrow(ContractError);
  });
});

describe('parseAlerts', () => {
  it('sorts newest first', () => {
    const alerts = parseAlerts([alertRow('a', '2025-09-27T02:00:00Z', 1, 3), alertRow('a', '2025-09-27T03:00:00Z', 2, -2.6)]);
    expect(alerts.map((alert) => alert.value)).toEqual([2, 1]);
    expect(alerts[1]).toEqual({ metric: 'a', value: 1, ts: ms('2025-09-27T02:00:00Z'), tsRaw: '2025-09-27T02:00:00Z', zscore: 3 });
  });

  it('refuses a wrapped list and rows with fields the server does not send', () => {
    expect(() => parseAlerts({ alerts: [] })).toThrow(ContractError);
    expect(() => parseAlerts([{ ...alertRow('a', '2025-09-27T02:00:00Z', 1, 3), id: 7 }])).toThrow(/unknown field "id"/);
    expect(() => parseAlerts([{ metric: 'a', value: 1, ts: '2025-09-27T02:00:00Z', zscore: 3 }])).toThrow(/missing "mean"/);
  });
});

describe('parseCatalog', () => {
  it('reads the catalog, sorted by name', () => {
    expect(
      parseCatalog([
        catalogRow('traffic', 101.2, '2025-09-27T02:33:11Z', { simulated: true }),
        catalogRow('cpu', 40, '2025-09-27T02:33:11Z', { unit: '%', label: 'CPU', decimals: 1 }),
      ]),
    ).toEqual([
      { metric: 'cpu', lastValue: 40, lastTs: ms('2025-09-27T02:33:11Z'), simulated: false, unit: '%', label: 'CPU', decimals: 1 },
      { metric: 'traffic', lastValue: 101.2, lastTs: ms('2025-09-27T02:33:11Z'), simulated: true, unit: null, label: null, decimals: null },
    ]);
  });

  it('refuses bare names and wrapped lists', () => {
    expect(() => parseCatalog(['traffic'])).toThrow(ContractError);
    expect(() => parseCatalog({ metrics: [] })).toThrow(ContractError);
  });
});

describe('snapshots', () => {
  const created = { id: 'abc', url: '/snapshot/abc', created_at: '2025-09-27T02:33:11Z', delete_key: 'k' };

  it('reads the 201 answer', () => {
    expect(parseCreatedSnapshot(created)).toEqual({ id: 'abc', url: '/snapshot/abc', createdAt: ms('2025-09-27T02:33:11Z'), deleteKey: 'k' });
    expect(parseCreatedSnapshot({ ...created, expires_at: '2025-10-27T02:33:11Z' }).id).toBe('abc');
    expect(() => parseCreatedSnapshot({ id: 'abc' })).toThrow(ContractError);
  });

  it('reads a snapshot without data, its state kept whole', () => {
    const state = { selectedMetric: 'cpu', anything: { kept: true } };
    expect(parseSnapshot({ id: 'abc', state, created_at: '2025-09-27T02:33:11Z' })).toEqual({
      id: 'abc',
      state,
      createdAt: ms('2025-09-27T02:33:11Z'),
      data: null,
      window: null,
    });
  });

  it('reads the absolute window a snapshot was taken of', () => {
    const state = { selectedMetric: 'cpu', from: '2025-09-27T02:00:00Z', to: '2025-09-27T02:05:00.500Z' };
    const snapshot = parseSnapshot({ id: 'abc', state, created_at: '2025-09-27T02:33:11Z' });
    expect(snapshot.window).toEqual({ from: ms('2025-09-27T02:00:00Z'), to: ms('2025-09-27T02:05:00.500Z') });
  });

  it('reads frozen data: a series body per metric, with its alerts flagged', () => {
    const snapshot = parseSnapshot({
      id: 'abc',
      state: {},
      created_at: '2025-09-27T02:33:11Z',
      data: {
        from: '2025-09-27T02:00:00Z',
        to: '2025-09-27T02:10:00Z',
        series: {
          traffic: seriesBody('traffic', [{ ts: '2025-09-27T02:00:00Z', value: 1 }]),
          cpu: seriesBody('cpu', [{ ts: '2025-09-27T02:00:00Z', value: 2 }], [{ ts: '2025-09-27T02:00:05Z', value: 9, zscore: 3 }]),
        },
      },
    });
    expect(snapshot.data?.series.traffic?.map((point) => point.value)).toEqual([1]);
    expect(snapshot.data?.series.cpu?.map((point) => [point.value, point.alert ?? false])).toEqual([
      [2, false],
      [9, true],
    ]);
    expect(snapshot.data?.alerts.map((alert) => alert.metric)).toEqual(['cpu']);
    expect(snapshot.window).toEqual({ from: ms('2025-09-27T02:00:00Z'), to: ms('2025-09-27T02:10:00Z') });
  });

  it('refuses frozen data in a shape the server does not send', () => {
    const base = { id: 'abc', state: {}, created_at: '2025-09-27T02:33:11Z' };
    const rows = [{ metric: 'traffic', ts: '2025-09-27T02:00:00Z', value: 1 }];
    expect(() => parseSnapshot({ ...base, data: { series: rows } })).toThrow(ContractError);
    expect(() =>
      parseSnapshot({ ...base, data: { from: '2025-09-27T02:00:00Z', to: '2025-09-27T02:10:00Z', series: { traffic: rows } } }),
    ).toThrow(ContractError);
  });
});

describe('parseCatalogEvent', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reads the announcements the server sends, as text or parsed', () => {
    expect(parseCatalogEvent('{"type":"catalog","event":"added","metric":"fresh"}')).toEqual({ event: 'added', metric: 'fresh' });
    expect(parseCatalogEvent({ type: 'catalog', event: 'removed', metric: 'old' })).toEqual({ event: 'removed', metric: 'old' });
  });

  it('leaves other message types alone', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(parseCatalogEvent(MESSAGE)).toBeNull();
    expect(parseCatalogEvent({ type: 'incident', event: 'opened', incident: {} })).toBeNull();
    expect(error).not.toHaveBeenCalled();
  });

  it.each([
    [{ type: 'catalog', event: 'renamed', metric: 'x' }, 'unknown event'],
    [{ type: 'catalog', event: 'added' }, 'missing "metric"'],
    [{ type: 'catalog', event: 'added', metric: '' }, 'expected a metric name'],
    [{ type: 'catalog', event: 'added', metric: 7 }, 'expected a string'],
    [{ type: 'catalog', event: 'added', metric: 'x', extra: 1 }, 'unknown field "extra"'],
  ])('drops %j loudly', (message, problem) => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(parseCatalogEvent(message)).toBeNull();
    expect(error).toHaveBeenCalledWith(expect.stringContaining(problem), message);
  });
});
