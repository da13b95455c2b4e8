import { describe, expect, it } from 'vitest';
import { metricStreamUrl, StreamCursor } from '../stream';

describe('StreamCursor', () => {
  it('keeps the last seq per metric and drops a seq already passed', () => {
    const cursor = new StreamCursor();
    expect(cursor.advance('traffic', 7)).toBe(true);
    expect(cursor.advance('cpu', 3)).toBe(true);
    expect(cursor.advance('traffic', 8)).toBe(true);
    expect(cursor.advance('traffic', 8)).toBe(false);
    expect(cursor.advance('traffic', 5)).toBe(false);
    // Another metric's numbers are its own.
    expect(cursor.advance('cpu', 4)).toBe(true);
    expect(cursor.since(['traffic', 'cpu'], null)).toEqual(['traffic:8', 'cpu:4']);
  });

  it('resumes each metric from its seq, one since= per metric, a timestamp only for those with none', () => {
    const cursor = new StreamCursor();
    expect(cursor.since(['a'], '2025-09-27T02:00:04.000Z')).toEqual(['2025-09-27T02:00:04.000Z']);
    expect(cursor.since(['a'], null)).toEqual([]);
    cursor.advance('a', 12);
    expect(cursor.since(['a'], '2025-09-27T02:00:04.000Z')).toEqual(['a:12']);
    expect(cursor.since(['a', 'b'], Date.parse('2025-09-27T02:00:04Z'))).toEqual(['a:12', '2025-09-27T02:00:04.000Z']);

    const url = new URL(metricStreamUrl(['a', 'host:cpu'], [...cursor.since(['a'], null), 'host:cpu:3']));
    expect(url.pathname).toBe('/ws/stream');
    expect(url.searchParams.getAll('metric')).toEqual(['a', 'host:cpu']);
    // A metric name may hold ':': the server reads the text before the last one.
    expect(url.searchParams.getAll('since')).toEqual(['a:12', 'host:cpu:3']);
    expect(new URL(metricStreamUrl('a')).searchParams.has('since')).toBe(false);
  });
});
