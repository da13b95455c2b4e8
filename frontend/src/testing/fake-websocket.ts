import type { WebSocketFactory, WebSocketLike } from '@/lib/reconnecting-socket';

/** A WebSocket stand-in the test drives by hand: open it, send it messages, close it. */
export class FakeWebSocket implements WebSocketLike {
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closedByClient: { code?: number; reason?: string } | null = null;

  constructor(readonly url: string) {}

  get searchParams(): URLSearchParams {
    return new URL(this.url).searchParams;
  }

  open(): void {
    this.onopen?.(new Event('open'));
  }

  receive(data: unknown): void {
    this.onmessage?.(new MessageEvent('message', { data: typeof data === 'string' ? data : JSON.stringify(data) }));
  }

  /** The server (or the network) ends the connection. */
  serverClose(code = 1006, reason = ''): void {
    this.onerror?.(new Event('error'));
    this.onclose?.(new CloseEvent('close', { code, reason }));
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
  }
}

/** A factory that records every socket it made. */
export function fakeSocketFactory(): { factory: WebSocketFactory; sockets: FakeWebSocket[]; last: () => FakeWebSocket } {
  const sockets: FakeWebSocket[] = [];
  return {
    sockets,
    factory: (url) => {
      const socket = new FakeWebSocket(url);
      sockets.push(socket);
      return socket;
    },
    last: () => {
      const socket = sockets[sockets.length - 1];
      if (!socket) throw new Error('no socket was created');
      return socket;
    },
  };
}

let lastSeq = 0;

/** A `{"type":"metric"}` message as the server sends it (SPEC §6); `seq` counts up unless given. */
export function metricMessage(
  metric: string,
  ts: string,
  value: number,
  extra: {
    alert?: boolean;
    zscore?: number | null;
    mean?: number;
    std?: number;
    n?: number;
    state?: 'normal' | 'pending' | 'firing';
    pending?: number;
    seq?: number;
  } = {},
) {
  lastSeq = extra.seq ?? lastSeq + 1;
  return {
    type: 'metric',
    data: { metric, value, ts },
    alert: extra.alert ?? false,
    zscore: extra.zscore ?? null,
    mean: extra.mean ?? 100,
    std: extra.std ?? 2,
    n: extra.n ?? 300,
    state: extra.state ?? 'normal',
    seq: lastSeq,
    ...(extra.pending ? { pending: extra.pending } : {}),
  };
}
