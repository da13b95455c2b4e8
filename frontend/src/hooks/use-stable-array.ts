import { useRef } from 'react';

/**
 * The same array instance for as long as its elements are equal (`Object.is`), so a prop built
 * anew on every render (axis ticks, a domain) only changes identity when its values change.
 * Recharts re-registers an axis in its store, and recomputes every selector, on each new identity.
 */
export function useStableArray<T>(values: readonly T[]): readonly T[] {
  const kept = useRef(values);
  const previous = kept.current;
  if (previous !== values && (previous.length !== values.length || values.some((value, i) => !Object.is(value, previous[i])))) {
    kept.current = values;
  }
  return kept.current;
}
