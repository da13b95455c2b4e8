import { apiUrl } from '@/lib/env';
import { ApiError, fetchJson } from '@/lib/api-client';
import { parseCreatedSnapshot, parseSnapshot } from './parse';
import type { CreatedSnapshot, Snapshot, SnapshotState } from './types';

/**
 * POST /snapshots. Asks the server to freeze the data too (`include_data`); a server that
 * does not know that option (422) or keeps it for holders of its ingest token (401) gets the
 * plain `{"state"}` body instead.
 */
export async function createSnapshot(state: SnapshotState): Promise<CreatedSnapshot> {
  const post = (body: object) => fetchJson(apiUrl('/snapshots'), { method: 'POST', body: JSON.stringify(body) });
  try {
    return parseCreatedSnapshot(await post({ state, include_data: true }));
  } catch (error) {
    // 401: the server freezes data only for holders of its ingest token; the state alone is open.
    if (error instanceof ApiError && (error.status === 422 || error.status === 401)) {
      return parseCreatedSnapshot(await post({ state }));
    }
    throw error;
  }
}

export async function getSnapshot(id: string, signal?: AbortSignal): Promise<Snapshot> {
  return parseSnapshot(await fetchJson(apiUrl(`/snapshots/${encodeURIComponent(id)}`), { signal }));
}
