// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { resolveEndpoints } from '../env';

const page = { protocol: 'http:', host: '127.0.0.1:8000' };

describe('resolveEndpoints', () => {
  it('uses the page origin with no settings', () => {
    expect(resolveEndpoints({}, page)).toEqual({ apiBase: '', wsBase: 'ws://127.0.0.1:8000', streamPath: '/ws/stream' });
    expect(resolveEndpoints({}, { protocol: 'https:', host: 'example.org' }).wsBase).toBe('wss://example.org');
  });

  it('derives the socket from VITE_API_URL', () => {
    expect(resolveEndpoints({ VITE_API_URL: 'https://api.example.org/' }, page)).toEqual({
      apiBase: 'https://api.example.org',
      wsBase: 'wss://api.example.org',
      streamPath: '/ws/stream',
    });
  });

  it('takes VITE_WS_URL as an origin or as the seed’s full stream URL', () => {
    expect(resolveEndpoints({ VITE_WS_URL: 'ws://localhost:8000' }, page)).toMatchObject({
      wsBase: 'ws://localhost:8000',
      streamPath: '/ws/stream',
    });
    expect(resolveEndpoints({ VITE_WS_URL: 'ws://localhost:8000/ws/stream?metric=traffic' }, page)).toMatchObject({
      wsBase: 'ws://localhost:8000',
      streamPath: '/ws/stream',
    });
  });
});
