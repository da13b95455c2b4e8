import { act, renderHook } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { usePreference } from '../preference';

const KEY = 'chronoview.test-preference';
type Size = 'small' | 'large';
const read = (stored: string | null): Size => (stored === 'small' || stored === 'large' ? stored : 'small');

describe('usePreference', () => {
  afterEach(() => {
    localStorage.clear();
    vi.restoreAllMocks();
  });

  it('starts from what is stored, through read (which also picks the fallback)', () => {
    localStorage.setItem(KEY, 'large');
    expect(renderHook(() => usePreference(KEY, read, () => {})).result.current[0]).toBe('large');
    localStorage.setItem(KEY, 'huge');
    expect(renderHook(() => usePreference(KEY, read, () => {})).result.current[0]).toBe('small');
  });

  it('stores and applies each change', () => {
    const apply = vi.fn();
    const { result } = renderHook(() => usePreference(KEY, read, apply));
    expect(apply).toHaveBeenLastCalledWith('small');
    act(() => result.current[1]('large'));
    expect(result.current[0]).toBe('large');
    expect(localStorage.getItem(KEY)).toBe('large');
    expect(apply).toHaveBeenLastCalledWith('large');
  });

  it('without storage (private mode), the choice lasts for the page', () => {
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    const { result } = renderHook(() => usePreference(KEY, read, () => {}));
    expect(result.current[0]).toBe('small');
    act(() => result.current[1]('large'));
    expect(result.current[0]).toBe('large');
  });
});
