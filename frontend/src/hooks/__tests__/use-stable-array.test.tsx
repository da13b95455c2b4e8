import { renderHook } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useStableArray } from '../use-stable-array';

describe('useStableArray', () => {
  it('keeps the first instance while the elements are equal, and takes a new one when they change', () => {
    const first = [1, 2, 3];
    const { result, rerender } = renderHook(({ values }) => useStableArray(values), { initialProps: { values: first } });
    expect(result.current).toBe(first);

    rerender({ values: [1, 2, 3] });
    expect(result.current).toBe(first);

    const moved = [1, 2, 4];
    rerender({ values: moved });
    expect(result.current).toBe(moved);

    const longer = [1, 2, 4, 5];
    rerender({ values: longer });
    expect(result.current).toBe(longer);
    rerender({ values: [1, 2, 4, 5] });
    expect(result.current).toBe(longer);
  });
});
