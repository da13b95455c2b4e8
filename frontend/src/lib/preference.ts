import { useCallback, useEffect, useState } from 'react';

/**
 * A choice the viewer makes once (the language, the theme): read from localStorage under `key`
 * when the app starts, written on each change, and applied to the document by `apply` whenever it
 * changes. `read` turns what is stored (`null` when nothing, or no storage) into a valid value,
 * falling back as the setting wants. Without storage (private mode) a choice lasts for the page.
 */
export function usePreference<T extends string>(
  key: string,
  read: (stored: string | null) => T,
  apply: (value: T) => void,
): [T, (next: T) => void] {
  const [value, setValue] = useState<T>(() => read(storedValue(key)));
  const choose = useCallback(
    (next: T) => {
      setValue(next);
      try {
        localStorage.setItem(key, next);
      } catch {
        // No storage: kept in state only.
      }
    },
    [key],
  );
  useEffect(() => apply(value), [apply, value]);
  return [value, choose];
}

function storedValue(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
