import { vi } from 'vitest';

type Route = (url: URL, init: RequestInit | undefined) => { status?: number; body: unknown } | undefined;

/** Stub global fetch with a router; unknown URLs answer 404. Returns the spy. */
export function mockFetch(route: Route) {
  const spy = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost');
    const answer = route(url, init) ?? { status: 404, body: { detail: 'not found' } };
    return new Response(JSON.stringify(answer.body), {
      status: answer.status ?? 200,
      headers: { 'Content-Type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', spy);
  return spy;
}
