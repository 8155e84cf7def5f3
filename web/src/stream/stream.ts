import { useEffect, useRef, useSyncExternalStore } from 'react';

/** One event of GET /api/stream: `data: {"id","type","project_id","at","data"}`. */
export interface StreamEvent<T = Record<string, unknown>> {
  id: string;
  type: string;
  project_id: string;
  at: string;
  data: T;
}

const TYPES = ['review.created', 'review.decided', 'review.expired', 'review.extended', 'review.withdrawn', 'session.connected', 'session.disconnected', 'stream.reset'] as const;

type Listener = (event: StreamEvent) => void;
type Status = 'connecting' | 'live' | 'down';

/**
 * The page's one EventSource on /api/stream, shared by every feature. The browser reconnects it by itself and sends
 * Last-Event-ID, so the server replays what was missed; only a closed stream (signed out) is reopened here.
 */
class Stream {
  private source: EventSource | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly statusListeners = new Set<() => void>();
  private users = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  /** Where a stream this page opens anew resumes (the browser's own reconnects send Last-Event-ID themselves). */
  private lastEventId: string | undefined;
  status: Status = 'connecting';

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.users++ === 0) this.open();
    return () => {
      this.listeners.delete(listener);
      if (--this.users === 0) this.close();
    };
  }

  watchStatus(listener: () => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private setStatus(status: Status) {
    if (this.status === status) return;
    this.status = status;
    for (const l of this.statusListeners) l();
  }

  private open() {
    const resume = this.lastEventId ? `?last_event_id=${encodeURIComponent(this.lastEventId)}` : '';
    const source = new EventSource(`/api/stream${resume}`, { withCredentials: true });
    this.source = source;
    source.onopen = () => this.setStatus('live');
    source.onerror = () => {
      this.setStatus(source.readyState === EventSource.CLOSED ? 'down' : 'connecting');
      // CLOSED means the server refused (e.g. the session ended): try again later rather than hammer it.
      if (source.readyState === EventSource.CLOSED && this.source === source) {
        this.source = null;
        this.retry = setTimeout(() => this.users > 0 && !this.source && this.open(), 5000);
      }
    };
    for (const type of TYPES) {
      source.addEventListener(type, (message) => {
        const { data, lastEventId } = message as MessageEvent<string>;
        if (lastEventId) this.lastEventId = lastEventId;
        const event = JSON.parse(data || '{}') as StreamEvent;
        event.type ??= type;
        for (const l of this.listeners) l(event);
      });
    }
  }

  private close() {
    clearTimeout(this.retry);
    this.source?.close();
    this.source = null;
    // Nobody listens any more (signed out): the next sign-in loads fresh state and starts from now.
    this.lastEventId = undefined;
    this.setStatus('connecting');
  }
}

const stream = new Stream();

/** Calls `listener` for every event of the live feed while the component is mounted. */
export function useStream(listener: Listener): void {
  // The newest listener is called, but the subscription stays: re-subscribing could close and reopen the stream.
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => stream.subscribe((event) => latest.current(event)), []);
}

export function useStreamStatus(): Status {
  return useSyncExternalStore(
    (cb) => stream.watchStatus(cb),
    () => stream.status,
  );
}
