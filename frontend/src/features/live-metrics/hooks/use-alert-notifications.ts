import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { KeyedRateLimiter } from '@/lib/rate-limit';
import type { AlertItem } from '../api/types';

export type NotificationPermissionState = 'unsupported' | NotificationPermission;

const NOTICE_MS = 10_000;
const PER_METRIC_MS = 60_000;
const OPT_IN_KEY = 'chronoview.notifications';

function permission(): NotificationPermissionState {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

function optedIn(): boolean {
  try {
    return localStorage.getItem(OPT_IN_KEY) === 'on';
  } catch {
    return false;
  }
}

/**
 * The in-page notice for each new alert, and browser notifications once the user has opted
 * in with a click (never a prompt on load), at most one per metric per minute.
 */
export function useAlertNotifications(describe: (alert: AlertItem) => { title: string; body: string }) {
  const [notice, setNotice] = useState<AlertItem | null>(null);
  const [state, setState] = useState<NotificationPermissionState>(permission);
  const [enabled, setEnabled] = useState(() => optedIn() && permission() === 'granted');
  const limiter = useMemo(() => new KeyedRateLimiter(PER_METRIC_MS), []);
  const describeRef = useRef(describe);
  describeRef.current = describe;

  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(null), NOTICE_MS);
    return () => clearTimeout(timer);
  }, [notice]);

  const announce = useCallback(
    (alert: AlertItem) => {
      setNotice(alert);
      if (!enabled || permission() !== 'granted' || !limiter.tryAcquire(alert.metric)) return;
      const { title, body } = describeRef.current(alert);
      try {
        new Notification(title, { body, tag: `chronoview-${alert.metric}` });
      } catch {
        // Some mobile browsers only notify from a service worker; the in-page notice remains.
      }
    },
    [enabled, limiter],
  );

  const enable = useCallback(async () => {
    if (typeof Notification === 'undefined') return;
    const result = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
    setState(result);
    const on = result === 'granted';
    setEnabled(on);
    try {
      localStorage.setItem(OPT_IN_KEY, on ? 'on' : 'off');
    } catch {
      // Not persisted in private mode.
    }
  }, []);

  const disable = useCallback(() => {
    setEnabled(false);
    try {
      localStorage.setItem(OPT_IN_KEY, 'off');
    } catch {
      // Not persisted in private mode.
    }
  }, []);

  return { notice, dismiss: () => setNotice(null), announce, permission: state, enabled, enable, disable };
}
