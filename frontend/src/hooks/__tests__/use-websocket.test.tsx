import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from '@/lib/reconnecting-socket';
import { fakeSocketFactory } from '@/testing/fake-websocket';
import { useWebSocket, type UseWebSocketOptions } from '../use-websocket';

const BACKOFF = { initialMs: 1000, maxMs: 8000, factor: 2, jitter: 0 };

function setup(overrides: Partial<UseWebSocketOptions> = {}) {
  const fake = fakeSocketFactory();
  const onMessage = vi.fn();
  const getUrl = vi.fn(() => 'ws://test/ws/stream?metric=traffic');
  const hook = renderHook((props: Partial<UseWebSocketOptions>) =>
    useWebSocket({
      key: 'traffic',
      getUrl,
      onMessage,
      createSocket: fake.factory,
      backoff: BACKOFF,
      offlineAfter: 3,
      ...overrides,
      ...props,
    }),
  );
  return { ...fake, onMessage, getUrl, hook };
}

describe('useWebSocket', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('goes live when the socket opens and passes messages through', () => {
    const { hook, last, onMessage } = setup();
    expect(hook.result.current.state).toBe('reconnecting');
    act(() => last().open());
    expect(hook.result.current.state).toBe('live');
    act(() => last().receive('{"type":"metric"}'));
    expect(onMessage).toHaveBeenCalledWith('{"type":"metric"}');
  });

  it('reconnects with exponential backoff, capped', () => {
    const { hook, sockets, last } = setup();
    act(() => last().open());
    act(() => last().serverClose(1006));
    expect(hook.result.current.state).toBe('reconnecting');
    expect(sockets).toHaveLength(1);

    const waits: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = sockets.length;
      let waited = 0;
      while (sockets.length === before && waited < 60_000) {
        act(() => vi.advanceTimersByTime(100));
        waited += 100;
      }
      waits.push(waited);
      act(() => last().serverClose(1006));
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  it('moves live → reconnecting → offline as failures pile up, and back to live', () => {
    const { hook, last } = setup();
    act(() => last().open());
    expect(hook.result.current.state).toBe('live');

    act(() => last().serverClose(1006)); // attempt 1
    expect(hook.result.current.state).toBe('reconnecting');
    act(() => vi.advanceTimersByTime(1000));
    act(() => last().serverClose(1006)); // attempt 2
    expect(hook.result.current.state).toBe('reconnecting');
    act(() => vi.advanceTimersByTime(2000));
    act(() => last().serverClose(1006)); // attempt 3 = offlineAfter
    expect(hook.result.current.state).toBe('offline');
    expect(hook.result.current.nextRetryAt).not.toBeNull();

    act(() => vi.advanceTimersByTime(4000));
    act(() => last().open());
    expect(hook.result.current.state).toBe('live');
    expect(hook.result.current.attempt).toBe(0);

    // After a success the backoff starts over from the initial delay.
    const opened = last();
    act(() => opened.serverClose(1006));
    act(() => vi.advanceTimersByTime(999));
    expect(last()).toBe(opened);
    act(() => vi.advanceTimersByTime(1));
    expect(last()).not.toBe(opened);
  });

  it('asks for the URL again on every attempt and says whether it is a reconnect (backfill)', () => {
    let since: string | null = null;
    const getUrl = vi.fn(() => `ws://test/ws/stream?metric=traffic${since ? `&since=${since}` : ''}`);
    const { last } = setup({ getUrl });
    expect(getUrl).toHaveBeenLastCalledWith({ attempt: 0, reconnect: false });
    expect(last().searchParams.get('since')).toBeNull();
    act(() => last().open());
    since = '2025-09-27T02:33:11Z';
    act(() => last().serverClose(1013, 'too slow'));
    act(() => vi.advanceTimersByTime(1000));
    expect(getUrl).toHaveBeenLastCalledWith({ attempt: 1, reconnect: true });
    expect(last().searchParams.get('since')).toBe('2025-09-27T02:33:11Z');
  });

  it('treats 1013 (too slow) as a reason to reconnect and 1008 (bad metric) as final', () => {
    const { hook, sockets, last } = setup();
    act(() => last().open());
    act(() => last().serverClose(1013, 'too slow'));
    act(() => vi.advanceTimersByTime(1000));
    expect(sockets).toHaveLength(2);

    act(() => last().open());
    act(() => last().serverClose(1008, 'invalid metric'));
    expect(hook.result.current.state).toBe('offline');
    expect(hook.result.current.fatal).toBe(true);
    act(() => vi.advanceTimersByTime(120_000));
    expect(sockets).toHaveLength(2);
  });

  it('gives up on an attempt that never opens', () => {
    const { sockets } = setup();
    act(() => vi.advanceTimersByTime(10_000));
    expect(sockets[0]!.closedByClient).not.toBeNull();
    act(() => vi.advanceTimersByTime(1000));
    expect(sockets).toHaveLength(2);
  });

  it('closes the socket on unmount and on a key change, and stops retrying', () => {
    const { hook, sockets, last } = setup();
    act(() => last().open());
    hook.rerender({ key: 'cpu' });
    expect(sockets[0]!.closedByClient?.code).toBe(1000);
    expect(sockets).toHaveLength(2);
    hook.unmount();
    expect(sockets[1]!.closedByClient).not.toBeNull();
    act(() => vi.advanceTimersByTime(60_000));
    expect(sockets).toHaveLength(2);
  });

  it('stays offline without connecting when the key is null', () => {
    const { hook, sockets } = setup({ key: null });
    expect(hook.result.current.state).toBe('offline');
    expect(sockets).toHaveLength(0);
  });

  it('retries at once when the browser comes back online', () => {
    const { sockets, last } = setup();
    act(() => last().open());
    act(() => last().serverClose(1006));
    act(() => window.dispatchEvent(new Event('online')));
    expect(sockets).toHaveLength(2);
  });
});

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap', () => {
    const options = { ...DEFAULT_BACKOFF, jitter: 0 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, options))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(20, options)).toBe(10_000);
  });

  it('spreads clients with jitter, never past the un-jittered delay', () => {
    const options = { initialMs: 1000, maxMs: 10_000, factor: 2, jitter: 0.5 };
    expect(backoffDelay(2, options, () => 0)).toBe(2000);
    expect(backoffDelay(2, options, () => 1)).toBe(1000);
  });
});
