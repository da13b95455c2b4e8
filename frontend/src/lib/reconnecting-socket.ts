/**
 * A WebSocket that reconnects with exponential backoff. Framework-free, so the rules are
 * testable with fake timers and a fake socket; `useWebSocket` wraps it for React.
 *
 * The URL is asked for again before every attempt (`getUrl`), which is how the caller adds
 * `since=<newest ts it holds>` and gets a gap-free backfill after a reconnect.
 */

export type ConnectionState = 'live' | 'reconnecting' | 'offline';

/** The part of the browser WebSocket this module uses (a fake implements just this). */
export interface WebSocketLike {
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** 0 = exact delays; 0.5 = each delay is drawn from [delay/2, delay] so clients spread out. */
  jitter: number;
}

// Capped at 10 s: a dashboard on a wall should come back soon after the server does.
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000, factor: 2, jitter: 0.3 };

/** Failed attempts in a row before the badge says offline (about 7 s with the default backoff). */
export const DEFAULT_OFFLINE_AFTER = 4;

/** Close codes that retrying cannot fix: 1008 is the server refusing the metric name. */
export const FATAL_CLOSE_CODES: readonly number[] = [1008];

/** The wait before attempt `attempt` (1 = the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const base = Math.min(options.maxMs, options.initialMs * options.factor ** exponent);
  return Math.round(base * (1 - options.jitter * random()));
}

export interface ConnectInfo {
  /** Failed attempts since the last open (0 on the first try). */
  attempt: number;
  /** True once a connection has been open before: the caller should backfill. */
  reconnect: boolean;
}

export interface SocketStatus {
  state: ConnectionState;
  attempt: number;
  /** Epoch ms of the next scheduled attempt, when one is scheduled. */
  nextRetryAt: number | null;
  lastCloseCode: number | null;
  lastCloseReason: string;
  /** Set when the server refused for good (e.g. 1008): no more retries. */
  fatal: boolean;
}

export interface ReconnectingSocketOptions {
  getUrl: (info: ConnectInfo) => string | null;
  onMessage: (data: unknown) => void;
  onOpen?: (info: ConnectInfo) => void;
  onStatus?: (status: SocketStatus) => void;
  createSocket?: WebSocketFactory;
  backoff?: Partial<BackoffOptions>;
  /** After this many failed attempts in a row the state reads `offline` (retries go on). */
  offlineAfter?: number;
  /** An attempt that has not opened by then is abandoned and retried. */
  connectTimeoutMs?: number;
  random?: () => number;
  now?: () => number;
}

const defaultFactory: WebSocketFactory = (url) => new WebSocket(url);

export class ReconnectingSocket {
  private readonly options: ReconnectingSocketOptions;
  private readonly backoff: BackoffOptions;
  private socket: WebSocketLike | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private everOpened = false;
  private stopped = true;
  private status: SocketStatus = {
    state: 'reconnecting',
    attempt: 0,
    nextRetryAt: null,
    lastCloseCode: null,
    lastCloseReason: '',
    fatal: false,
  };

  constructor(options: ReconnectingSocketOptions) {
    this.options = options;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  }

  getStatus(): SocketStatus {
    return this.status;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.detach(1000, 'client closed');
  }

  /** Retry at once (the browser came back online, the tab became visible, the user asked). */
  reconnectNow(): void {
    if (this.stopped || this.status.state === 'live') return;
    this.clearTimers();
    this.detach(1000, 'reconnecting');
    this.connect();
  }

  private connect(): void {
    const info: ConnectInfo = { attempt: this.status.attempt, reconnect: this.everOpened };
    const url = this.options.getUrl(info);
    if (!url) {
      this.update({ state: 'offline', nextRetryAt: null });
      return;
    }
    this.update({
      state: this.status.attempt >= (this.options.offlineAfter ?? DEFAULT_OFFLINE_AFTER) ? 'offline' : 'reconnecting',
      nextRetryAt: null,
    });
    let socket: WebSocketLike;
    try {
      socket = (this.options.createSocket ?? defaultFactory)(url);
    } catch {
      // A malformed URL throws synchronously; treat it like a failed attempt.
      this.scheduleRetry(null, '');
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.clearConnectTimer();
      this.everOpened = true;
      this.update({ state: 'live', attempt: 0, fatal: false });
      this.options.onOpen?.(info);
    };
    socket.onmessage = (event) => {
      if (socket === this.socket) this.options.onMessage(event.data);
    };
    socket.onerror = () => {
      // A close event always follows; the retry is scheduled there.
    };
    socket.onclose = (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.clearConnectTimer();
      if (this.stopped) return;
      if (FATAL_CLOSE_CODES.includes(event.code)) {
        this.update({
          state: 'offline',
          lastCloseCode: event.code,
          lastCloseReason: event.reason,
          fatal: true,
          nextRetryAt: null,
        });
        return;
      }
      // 1013 ("too slow") lands here too: retry soon, and getUrl's since= fills the gap.
      this.scheduleRetry(event.code, event.reason);
    };
    const timeout = this.options.connectTimeoutMs ?? 10_000;
    this.connectTimer = setTimeout(() => {
      if (socket !== this.socket || this.status.state === 'live') return;
      this.detach(4000, 'connect timeout');
      this.scheduleRetry(null, 'connect timeout');
    }, timeout);
  }

  private scheduleRetry(code: number | null, reason: string): void {
    const attempt = this.status.attempt + 1;
    const delay = backoffDelay(attempt, this.backoff, this.options.random);
    const now = (this.options.now ?? Date.now)();
    this.update({
      state: attempt >= (this.options.offlineAfter ?? DEFAULT_OFFLINE_AFTER) ? 'offline' : 'reconnecting',
      attempt,
      lastCloseCode: code,
      lastCloseReason: reason,
      nextRetryAt: now + delay,
    });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private detach(code: number, reason: string): void {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
    try {
      socket.close(code, reason);
    } catch {
      // Closing a socket that never opened can throw in some browsers; it is gone either way.
    }
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private clearTimers(): void {
    this.clearConnectTimer();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private update(patch: Partial<SocketStatus>): void {
    this.status = { ...this.status, ...patch };
    this.options.onStatus?.(this.status);
  }
}
