import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from '../components/channel-form';

/** How often the lists that change on their own (silences expire, deliveries retry) are read again. */
export const REFRESH_MS = 5000;

/** Load admin data now (and every `refreshMs`, when given); `reload` after a change. */
export function useAdminData<T>(load: () => Promise<T>, initial: T, refreshMs?: number) {
  const [data, setData] = useState<T>(initial);
  const [error, setError] = useState<string | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(async () => {
    try {
      setData(await loadRef.current());
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    }
  }, []);
  useEffect(() => {
    void reload();
    if (!refreshMs) return undefined;
    const timer = window.setInterval(() => void reload(), refreshMs);
    return () => window.clearInterval(timer);
  }, [reload, refreshMs]);
  return { data, error, reload };
}
