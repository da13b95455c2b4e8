import { adminFetchJson } from '@/lib/admin-token';
import { fetchJson, finiteOrNull, isRecord } from '@/lib/api-client';
import { ContractError, readMessage } from '@/lib/contract';
import { apiUrl } from '@/lib/env';

/** An incident (SPEC §10), timestamps as epoch ms. */
export interface Incident {
  id: string;
  metric: string;
  state: 'firing' | 'resolved';
  startedAt: number;
  resolvedAt: number | null;
  lastAlertAt: number;
  peakValue: number;
  peakZscore: number | null;
  alertPoints: number;
}

export interface IncidentEvent {
  event: 'opened' | 'resolved';
  incident: Incident;
}

export type Direction = 'both' | 'above' | 'below';

/** The editable fields of an alert rule; null means "the setting's default". */
export interface RuleFields {
  sigma: number | null;
  window_seconds: number | null;
  min_points: number | null;
  direction: Direction | null;
  for_points: number;
  resolve_after_seconds: number;
  /** A reminder while firing, in seconds (SPEC §10); null: none. */
  repeat_interval_seconds: number | null;
  enabled: boolean;
  /** Channel ids (SPEC §11): null → the default channels, [] → nobody. */
  notify: string[] | null;
}

export interface EffectiveRule {
  source: 'rule' | 'defaults';
  match: string | null;
  ruleId: number | null;
  /** The values in force (defaults filled in). */
  values: RuleFields;
}

function ms(value: unknown): number | null {
  return typeof value === 'string' ? Date.parse(value) : null;
}

export function parseIncident(raw: unknown): Incident | null {
  if (!isRecord(raw) || typeof raw.id !== 'string' || typeof raw.metric !== 'string') return null;
  const startedAt = ms(raw.started_at);
  const lastAlertAt = ms(raw.last_alert_at);
  if (startedAt === null || lastAlertAt === null) return null;
  return {
    id: raw.id,
    metric: raw.metric,
    state: raw.state === 'resolved' ? 'resolved' : 'firing',
    startedAt,
    resolvedAt: ms(raw.resolved_at),
    lastAlertAt,
    peakValue: finiteOrNull(raw.peak_value) ?? 0,
    peakZscore: finiteOrNull(raw.peak_zscore),
    alertPoints: finiteOrNull(raw.alert_points) ?? 0,
  };
}

/** A `{"type":"incident", ...}` stream message; null for another type or (logged) a broken one. */
export function parseIncidentEvent(raw: unknown): IncidentEvent | null {
  return readMessage(raw, (body) => {
    if (!isRecord(body) || body.type !== 'incident') return null;
    if (body.event !== 'opened' && body.event !== 'resolved') throw new ContractError('incident message.event', 'expected opened or resolved');
    const incident = parseIncident(body.incident);
    if (!incident) throw new ContractError('incident message.incident', 'expected an incident');
    return { event: body.event, incident };
  });
}

export async function fetchIncidents(
  filters: { state?: string; metric?: string; hours?: number },
  signal?: AbortSignal,
): Promise<Incident[]> {
  const body = await fetchJson(apiUrl('/incidents', filters), { signal });
  return Array.isArray(body) ? body.map(parseIncident).filter((i): i is Incident => i !== null) : [];
}

export async function fetchEffectiveRule(metric: string, signal?: AbortSignal): Promise<EffectiveRule> {
  const body = await fetchJson(apiUrl(`/metrics/${encodeURIComponent(metric)}/rule`), { signal });
  const rule = isRecord(body) && isRecord(body.rule) ? body.rule : {};
  const direction = rule.direction === 'above' || rule.direction === 'below' ? rule.direction : 'both';
  return {
    source: isRecord(body) && body.source === 'rule' ? 'rule' : 'defaults',
    match: typeof rule.match === 'string' ? rule.match : null,
    ruleId: finiteOrNull(rule.rule_id),
    values: {
      sigma: finiteOrNull(rule.sigma),
      window_seconds: finiteOrNull(rule.window_seconds),
      min_points: finiteOrNull(rule.min_points),
      direction,
      for_points: finiteOrNull(rule.for_points) ?? 1,
      resolve_after_seconds: finiteOrNull(rule.resolve_after_seconds) ?? 60,
      repeat_interval_seconds: finiteOrNull(rule.repeat_interval_seconds),
      enabled: rule.enabled !== false,
      notify: Array.isArray(rule.notify) ? rule.notify.map(String) : null,
    },
  };
}

/** Save the metric's own rule (create it, or replace it when the metric already has one). */
export async function saveRule(metric: string, ruleId: number | null, fields: RuleFields): Promise<void> {
  const body = JSON.stringify({ match: metric, ...fields });
  if (ruleId === null) await adminFetchJson(apiUrl('/alert-rules'), { method: 'POST', body });
  else await adminFetchJson(apiUrl(`/alert-rules/${ruleId}`), { method: 'PUT', body });
}

export async function deleteRule(ruleId: number): Promise<void> {
  await adminFetchJson(apiUrl(`/alert-rules/${ruleId}`), { method: 'DELETE' });
}
