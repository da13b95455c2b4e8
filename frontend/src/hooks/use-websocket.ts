import { useCallback, useEffect, useRef, useState } from 'react';
import {
  ReconnectingSocket,
  type BackoffOptions,
  type ConnectInfo,
  type SocketStatus,
  type WebSocketFactory,
} from '@/lib/reconnecting-socket';

export type { ConnectionState, SocketStatus, WebSocketFactory, ConnectInfo } from '@/lib/reconnecting-socket';

export interface UseWebSocketOptions {
  /** A new key means a new connection (e.g. another metric); null means stay disconnected. */
  key: string | null;
  /** Asked before every attempt, so it can add `since=` for a backfill. */
  getUrl: (info: ConnectInfo) => string | null;
  onMessage: (data: unknown) => void;
  onOpen?: (info: ConnectInfo) => void;
  createSocket?: WebSocketFactory;
  backoff?: Partial<BackoffOptions>;
  offlineAfter?: number;
  random?: () => number;
}

export interface UseWebSocketResult extends SocketStatus {
  reconnectNow: () => void;
}

const IDLE: SocketStatus = {
  state: 'offline',
  attempt: 0,
  nextRetryAt: null,
  lastCloseCode: null,
  lastCloseReason: '',
  fatal: false,
};

/**
 * A live WebSocket with reconnect and backoff. The status (live / reconnecting / offline) is
 * React state because it changes rarely; messages go straight to `onMessage`, never to state.
 */
export function useWebSocket(options: UseWebSocketOptions): UseWebSocketResult {
  const latest = useRef(options);
  latest.current = options;
  const socketRef = useRef<ReconnectingSocket | null>(null);
  const [status, setStatus] = useState<SocketStatus>(IDLE);
  const { key } = options;

  useEffect(() => {
    if (key === null) {
      setStatus(IDLE);
      return;
    }
    const { createSocket, backoff, offlineAfter, random } = latest.current;
    const socket = new ReconnectingSocket({
      getUrl: (info) => latest.current.getUrl(info),
      onMessage: (data) => latest.current.onMessage(data),
      onOpen: (info) => latest.current.onOpen?.(info),
      onStatus: setStatus,
      createSocket,
      backoff,
      offlineAfter,
      random,
    });
    socketRef.current = socket;
    socket.start();

    const retry = () => socket.reconnectNow();
    const onVisible = () => {
      if (document.visibilityState === 'visible') retry();
    };
    window.addEventListener('online', retry);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.removeEventListener('online', retry);
      document.removeEventListener('visibilitychange', onVisible);
      socket.stop();
      socketRef.current = null;
    };
  }, [key]);

  const reconnectNow = useCallback(() => socketRef.current?.reconnectNow(), []);
  return { ...status, reconnectNow };
}
