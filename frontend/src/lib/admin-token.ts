import { ApiError, fetchJson } from './api-client';

/**
 * The admin token of SPEC §11, asked for when a management call is refused and kept for the
 * browser session (sessionStorage: gone when the tab closes). Whoever needs it calls
 * `adminFetchJson`; `<AdminTokenDialog>` (mounted once by the app) answers the request.
 */

const STORAGE_KEY = 'chronoview.adminToken';
const MAX_ASKS = 3;

export function readAdminToken(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeAdminToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(STORAGE_KEY, token);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage disabled: the token is asked for again next time.
  }
}

export interface TokenRequest {
  reason: string;
  answer: (token: string | null) => void;
}

let request: TokenRequest | null = null;
let waiting: Promise<string | null> | null = null;
const listeners = new Set<() => void>();

export function subscribeTokenRequest(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function currentTokenRequest(): TokenRequest | null {
  return request;
}

/** Ask the person for the token; concurrent refusals share one question. Null: they cancelled. */
export function requestAdminToken(reason: string): Promise<string | null> {
  waiting ??= new Promise((resolve) => {
    request = {
      reason,
      answer: (token) => {
        request = null;
        waiting = null;
        if (token) storeAdminToken(token);
        listeners.forEach((listener) => listener());
        resolve(token);
      },
    };
    listeners.forEach((listener) => listener());
  });
  return waiting;
}

/** `fetchJson` with the admin token; on 401/403 asks for one and tries again. */
export async function adminFetchJson(url: string, init: RequestInit = {}): Promise<unknown> {
  for (let asked = 0; ; asked += 1) {
    const token = readAdminToken();
    const headers = new Headers(init.headers);
    if (token) headers.set('Authorization', `Bearer ${token}`);
    try {
      return await fetchJson(url, { ...init, headers });
    } catch (error) {
      const refused = error instanceof ApiError && (error.status === 401 || error.status === 403);
      if (!refused || asked >= MAX_ASKS) throw error;
      if (token) storeAdminToken(null); // refused: it is wrong, or no longer the server's
      const next = await requestAdminToken(typeof error.detail === 'string' ? error.detail : '');
      if (!next) throw error;
    }
  }
}
