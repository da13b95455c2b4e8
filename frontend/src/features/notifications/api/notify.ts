import { adminFetchJson } from '@/lib/admin-token';
import { isRecord } from '@/lib/api-client';

/** The notification API of SPEC §11: channels, silences and the delivery log (admin only). */

export const CHANNEL_KINDS = ['webhook', 'slack', 'discord', 'ntfy', 'email', 'alertmanager'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];
export const DELIVERY_STATES = ['pending', 'sending', 'delivered', 'failed', 'silenced'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface Channel {
  id: number;
  name: string;
  kind: ChannelKind;
  config: Record<string, unknown>;
  default: boolean;
  enabled: boolean;
  disabled_reason: string | null;
  secrets_unreadable: boolean;
}

export interface ChannelInput {
  name: string;
  kind: ChannelKind;
  config: Record<string, unknown>;
  default: boolean;
  enabled: boolean;
}

export interface Delivery {
  id: string;
  channel_id: number;
  channel: string | null;
  event: string;
  metric: string;
  incident_id: string;
  state: DeliveryState;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  reason: string | null;
  created_at: string;
  next_attempt_at: string | null;
  delivered_at: string | null;
}

export interface Silence {
  id: number;
  match: string;
  until: string;
  comment: string;
  active: boolean;
}

export interface TestResult {
  ok: boolean;
  status: number | null;
  detail: string;
}

function list<T>(body: unknown): T[] {
  return Array.isArray(body) ? (body.filter(isRecord) as unknown as T[]) : [];
}

const json = (method: string, body?: unknown): RequestInit => ({
  method,
  body: body === undefined ? undefined : JSON.stringify(body),
});

export const listChannels = async () => list<Channel>(await adminFetchJson('/channels'));
export const createChannel = async (input: ChannelInput) =>
  (await adminFetchJson('/channels', json('POST', input))) as Channel;
export const updateChannel = async (id: number, input: ChannelInput) =>
  (await adminFetchJson(`/channels/${id}`, json('PUT', input))) as Channel;
export const deleteChannel = async (id: number) => {
  await adminFetchJson(`/channels/${id}`, { method: 'DELETE' });
};
export const testChannel = async (id: number) =>
  (await adminFetchJson(`/channels/${id}/test`, { method: 'POST' })) as TestResult;

export async function listDeliveries(filter: { channel?: number; state?: DeliveryState } = {}) {
  const params = new URLSearchParams({ limit: '200' });
  if (filter.channel) params.set('channel', String(filter.channel));
  if (filter.state) params.set('state', filter.state);
  return list<Delivery>(await adminFetchJson(`/notifications?${params}`));
}

export const listSilences = async () => list<Silence>(await adminFetchJson('/silences'));
export const createSilence = async (input: { match: string; until: string; comment: string }) =>
  (await adminFetchJson('/silences', json('POST', input))) as Silence;
export const deleteSilence = async (id: number) => {
  await adminFetchJson(`/silences/${id}`, { method: 'DELETE' });
};
