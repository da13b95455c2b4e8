import { afterEach, describe, expect, it, vi } from 'vitest';
import { mockFetch } from '@/testing/mock-fetch';
import { createSnapshot } from '../snapshots';

const created = {
  id: '0b8f3c9e-6f1a-4c1e-9a55-3f2b1e7c9d10',
  url: '/snapshot/0b8f3c9e-6f1a-4c1e-9a55-3f2b1e7c9d10',
  created_at: '2026-12-03T07:00:00.000Z',
  delete_key: 'k',
};

describe('createSnapshot', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('saves the state alone when the server keeps frozen data for ingest-token holders (401)', async () => {
    const bodies: unknown[] = [];
    mockFetch((url, init) => {
      if (url.pathname !== '/snapshots') return undefined;
      const body = JSON.parse(String(init?.body)) as { include_data?: boolean };
      bodies.push(body);
      return body.include_data
        ? { status: 401, body: { detail: 'missing or wrong bearer token' } }
        : { status: 201, body: created };
    });
    const state = { selectedMetric: 'cpu', timeRangeHours: 1, layout: null };
    const answer = await createSnapshot(state as never);
    expect(answer.id).toBe(created.id);
    expect(bodies).toEqual([{ state, include_data: true }, { state }]);
  });

  it('does not retry other refusals', async () => {
    mockFetch(() => ({ status: 429, body: { detail: 'too many snapshots; try again later' } }));
    await expect(createSnapshot({ selectedMetric: 'cpu', timeRangeHours: 1 } as never)).rejects.toMatchObject({
      status: 429,
    });
  });
});
