import { useCallback, useRef, useState } from 'react';
import { useWebSocket, type ConnectInfo, type WebSocketFactory } from '@/hooks/use-websocket';
import { streamUrl } from '@/lib/env';
import { fetchIncidents, parseIncidentEvent, type Incident } from '../api/incidents';

export interface UseIncidentsOptions {
  /** Called once per incident opened while the page is open (the notice, a notification). */
  onOpened: (incident: Incident) => void;
  /** Every other message of the socket: it also carries the catalog's announcements (SPEC §6). */
  onOtherMessage?: (data: unknown) => void;
  /**
   * The socket is open, the first time or again: whatever it would have carried before is lost
   * (an announcement made after the page read the catalog, before the socket subscribed).
   */
  onConnect?: () => void;
  createSocket?: WebSocketFactory;
  /** False on a snapshot page: no stream. */
  enabled?: boolean;
}

/**
 * Everything firing, on every metric: fetched on every (re)connect of a stream of incident
 * events (`incidents=1`), then kept current by those events. `resolved` is the newest resolved
 * incident, for a quiet note.
 */
export function useIncidents({ onOpened, onOtherMessage, onConnect, createSocket, enabled = true }: UseIncidentsOptions) {
  const [firing, setFiring] = useState<Incident[]>([]);
  const [resolved, setResolved] = useState<Incident | null>(null);
  const announced = useRef(new Set<string>());
  const onOpenedRef = useRef(onOpened);
  onOpenedRef.current = onOpened;
  const onOtherRef = useRef(onOtherMessage);
  onOtherRef.current = onOtherMessage;
  const onConnectRef = useRef(onConnect);
  onConnectRef.current = onConnect;

  const onOpen = useCallback(() => {
    onConnectRef.current?.();
    fetchIncidents({ state: 'firing' })
      .then((open) => {
        for (const incident of open) announced.current.add(incident.id); // already on before we came
        setFiring(open);
      })
      .catch(() => undefined); // the next reconnect tries again
  }, []);

  const onMessage = useCallback((data: unknown) => {
    const event = parseIncidentEvent(data);
    if (!event) {
      onOtherRef.current?.(data);
      return;
    }
    const { incident } = event;
    if (event.event === 'opened') {
      setFiring((list) => [incident, ...list.filter((i) => i.id !== incident.id)]);
      if (!announced.current.has(incident.id)) {
        announced.current.add(incident.id);
        onOpenedRef.current(incident);
      }
    } else {
      setFiring((list) => list.filter((i) => i.id !== incident.id));
      setResolved(incident);
    }
  }, []);

  useIncidentStream({ onMessage, onOpen, createSocket, enabled });
  return { firing, resolved, dismissResolved: () => setResolved(null) };
}

export interface UseIncidentStreamOptions {
  onMessage: (data: unknown) => void;
  onOpen?: (info: ConnectInfo) => void;
  createSocket?: WebSocketFactory;
  /** False: no socket (a snapshot page). */
  enabled?: boolean;
}

/**
 * The socket of incident events and catalog announcements of every metric (`incidents=1`). A
 * `metric=*` socket cannot carry them: the server ignores `incidents=1` beside it.
 */
export function useIncidentStream({ onMessage, onOpen, createSocket, enabled = true }: UseIncidentStreamOptions) {
  return useWebSocket({
    key: enabled ? 'incidents' : null,
    getUrl: () => streamUrl({ incidents: '1' }),
    onMessage,
    onOpen,
    createSocket,
  });
}
