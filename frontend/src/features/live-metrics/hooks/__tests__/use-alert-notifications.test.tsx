import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useAlertNotifications } from '../use-alert-notifications';

const alert = (metric: string, ts: number) => ({ metric, value: 1, ts, tsRaw: '', zscore: 3 });

function installNotification(permission: NotificationPermission) {
  const shown: string[] = [];
  const requestPermission = vi.fn(async () => 'granted' as NotificationPermission);
  class FakeNotification {
    static permission = permission;
    static requestPermission = requestPermission;
    constructor(title: string) {
      shown.push(title);
    }
  }
  vi.stubGlobal('Notification', FakeNotification);
  return { shown, requestPermission };
}

describe('useAlertNotifications', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  const describeAlert = (item: { metric: string }) => ({ title: item.metric, body: '' });

  it('never asks for permission on its own, only from enable()', async () => {
    const { requestPermission } = installNotification('default');
    const { result } = renderHook(() => useAlertNotifications(describeAlert));
    act(() => result.current.announce(alert('traffic', 1)));
    expect(requestPermission).not.toHaveBeenCalled();
    await act(async () => result.current.enable());
    expect(requestPermission).toHaveBeenCalledTimes(1);
    expect(result.current.enabled).toBe(true);
  });

  it('shows the in-page notice for every alert, then hides it', () => {
    installNotification('default');
    const { result } = renderHook(() => useAlertNotifications(describeAlert));
    act(() => result.current.announce(alert('traffic', 1)));
    expect(result.current.notice?.ts).toBe(1);
    act(() => result.current.announce(alert('traffic', 2)));
    expect(result.current.notice?.ts).toBe(2);
    act(() => vi.advanceTimersByTime(10_000));
    expect(result.current.notice).toBeNull();
  });

  it('notifies the browser at most once per metric per minute after opting in', async () => {
    const { shown } = installNotification('granted');
    const { result } = renderHook(() => useAlertNotifications(describeAlert));
    await act(async () => result.current.enable());
    act(() => {
      result.current.announce(alert('traffic', 1));
      result.current.announce(alert('traffic', 2));
      result.current.announce(alert('cpu', 3));
    });
    expect(shown).toEqual(['traffic', 'cpu']);
    act(() => vi.advanceTimersByTime(60_000));
    act(() => result.current.announce(alert('traffic', 4)));
    expect(shown).toEqual(['traffic', 'cpu', 'traffic']);
  });

  it('sends nothing to the browser without opting in', () => {
    const { shown } = installNotification('granted');
    const { result } = renderHook(() => useAlertNotifications(describeAlert));
    act(() => result.current.announce(alert('traffic', 1)));
    expect(shown).toEqual([]);
  });
});
