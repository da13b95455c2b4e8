import { useCallback, useRef, useState } from 'react';
import { useWebSocket, type ConnectInfo, type WebSocketFactory } from '@/hooks/use-websocket';
import { streamUrl } from '@/lib/env';
import { fetchIncidents, parseIncidentEvent, type Incident, type IncidentEvent } from '../api/incidents';

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

  // The events received while a read of the firing list is out. The read may answer from before or
  // after any of them, so they are applied again on top of its answer.
  const sinceRead = useRef<IncidentEvent[] | null>(null);

  const onOpen = useCallback(() => {
    onConnectRef.current?.();
    const events: IncidentEvent[] = [];
    sinceRead.current = events;
    const settle = (open: Incident[] | null) => {
      if (sinceRead.current !== events) return; // a newer read is out
      sinceRead.current = null;
      if (open) setFiring(events.reduce(withEvent, open));
    };
    fetchIncidents({ state: 'firing' }).then(settle, () => settle(null)); // on failure the next reconnect reads again
  }, []);

  const onMessage = useCallback((data: unknown) => {
    const event = parseIncidentEvent(data);
    if (!event) {
      onOtherRef.current?.(data);
      return;
    }
    sinceRead.current?.push(event);
    setFiring((list) => withEvent(list, event));
    const { incident } = event;
    if (event.event === 'opened') {
      // The socket tells only of incidents opened after it subscribed, so each is news, even when
      // the firing list read after the socket opened already holds it; a repeat is not.
      if (!announced.current.has(incident.id)) {
        announced.current.add(incident.id);
        onOpenedRef.current(incident);
      }
    } else {
      setResolved(incident);
    }
  }, []);

  useIncidentStream({ onMessage, onOpen, createSocket, enabled });
  return { firing, resolved, dismissResolved: () => setResolved(null) };
}

/** The firing list after one event: an opened incident first (replacing its older copy), a resolved one gone. */
function withEvent(list: Incident[], { event, incident }: IncidentEvent): Incident[] {
  const others = list.filter((i) => i.id !== incident.id);
  return event === 'opened' ? [incident, ...others] : others;
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
