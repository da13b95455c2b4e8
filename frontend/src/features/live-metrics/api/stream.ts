import { streamUrl } from '@/lib/env';
import { toRfc3339 } from '@/lib/time';

/** The stream URL for one metric, replaying after `sinceMs`/`sinceRaw` when given. */
export function metricStreamUrl(metric: string, since?: { raw?: string; ms: number } | null): string {
  return streamUrl({ metric, since: since ? (since.raw ?? toRfc3339(since.ms)) : undefined });
}
