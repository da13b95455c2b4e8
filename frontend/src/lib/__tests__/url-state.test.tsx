import { act, renderHook } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { navigate, readQuery, useDashboardQuery, useLocation, writeQuery } from '../url-state';

describe('readQuery', () => {
  it('reads the metric and the range', () => {
    expect(readQuery('?metric=traffic&range=1h')).toEqual({ metric: 'traffic', range: '1h' });
    expect(readQuery('?range=24h&metric=cpu.load:a_b-1')).toEqual({ metric: 'cpu.load:a_b-1', range: '24h' });
  });

  it('falls back to no metric and the default range for missing or invalid values', () => {
    expect(readQuery('')).toEqual({ metric: null, range: '15m' });
    expect(readQuery('?metric=&range=2h')).toEqual({ metric: null, range: '15m' });
    expect(readQuery('?metric=%3Cscript%3E')).toEqual({ metric: null, range: '15m' });
    expect(readQuery(`?metric=${'a'.repeat(101)}`).metric).toBeNull();
  });
});

describe('writeQuery', () => {
  it('sets metric and range and keeps other parameters', () => {
    expect(writeQuery('?debug=1', { metric: 'traffic', range: '6h' })).toBe('?debug=1&metric=traffic&range=6h');
    expect(writeQuery('?metric=traffic&range=1h', { range: '5m' })).toBe('?metric=traffic&range=5m');
    expect(writeQuery('?metric=traffic&range=1h', { metric: null })).toBe('?range=1h');
  });

  it('leaves a fixed window when a preset is picked, and keeps it when the metric changes', () => {
    const fixed = '?metric=a&range=1h&from=2025-01-01T00%3A00%3A00.000Z&to=2025-01-01T01%3A00%3A00.000Z';
    expect(writeQuery(fixed, { range: '5m' })).toBe('?metric=a&range=5m');
    expect(writeQuery(fixed, { metric: 'b' })).toBe(fixed.replace('metric=a', 'metric=b'));
  });

  it('round-trips through readQuery', () => {
    const search = writeQuery('', { metric: 'orders', range: '24h' });
    expect(readQuery(search)).toEqual({ metric: 'orders', range: '24h' });
  });
});

describe('useDashboardQuery', () => {
  it('reads the page URL and writes changes to it, with history entries', () => {
    window.history.replaceState(null, '', '/?metric=traffic&range=1h');
    const { result } = renderHook(() => useDashboardQuery());
    expect(result.current[0]).toEqual({ metric: 'traffic', range: '1h' });
    const before = window.history.length;

    act(() => result.current[1]({ range: '24h' }));
    expect(window.location.search).toBe('?metric=traffic&range=24h');
    expect(result.current[0]).toEqual({ metric: 'traffic', range: '24h' });
    expect(window.history.length).toBe(before + 1);

    act(() => result.current[1]({ metric: 'cpu' }, { replace: true }));
    expect(window.location.search).toBe('?metric=cpu&range=24h');
    expect(window.history.length).toBe(before + 1);
  });

  it('follows back/forward navigation', () => {
    window.history.replaceState(null, '', '/?metric=traffic&range=1h');
    const { result } = renderHook(() => useDashboardQuery());
    act(() => {
      window.history.replaceState(null, '', '/?metric=orders&range=5m');
      window.dispatchEvent(new PopStateEvent('popstate'));
    });
    expect(result.current[0]).toEqual({ metric: 'orders', range: '5m' });
  });
});

describe('navigate', () => {
  it('changes the path without a reload and tells useLocation', () => {
    const { result } = renderHook(() => useLocation());
    act(() => navigate('/snapshot/abc'));
    expect(result.current.pathname).toBe('/snapshot/abc');
    act(() => navigate('/?metric=cpu'));
    expect(result.current).toEqual({ pathname: '/', search: '?metric=cpu' });
  });
});
