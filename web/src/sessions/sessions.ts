import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { type Schemas, api, unwrap } from '../api/client';
import { type StreamEvent, useStream } from '../stream/stream';

export type AgentSession = Schemas['AgentSessionView'];
export type SessionDetail = Schemas['AgentSessionDetailView'];
export type SessionEvent = SessionDetail['events'][number];
export type SessionReview = Schemas['ReviewView'];

export interface SessionFilter {
  project?: string;
  state?: 'live' | 'ended';
  label?: string;
  /** ISO-8601 */
  since?: string;
  until?: string;
}

const listKey = (filter: SessionFilter) => ['sessions', 'list', filter] as const;
const detailKey = (id: string) => ['sessions', 'detail', id] as const;
const reviewsKey = (id: string) => ['sessions', 'reviews', id] as const;

/**
 * An open session's policy verdicts reach no feed (one feed row per agent event would cost every instance a write per
 * action), so a transcript of a connected session is read again at this pace; reviews and connects come by the feed.
 */
const LIVE_TRANSCRIPT_POLL_MS = 2000;

/** The first page of sessions (newest first) matching the filter. */
export function useSessions(filter: SessionFilter) {
  return useQuery({
    queryKey: listKey(filter),
    queryFn: () => unwrap(api.GET('/api/sessions', { params: { query: { limit: 100, ...filter } } })),
    placeholderData: keepPreviousData,
  });
}

export function useSessionDetail(id: string | undefined) {
  return useQuery({
    queryKey: detailKey(id ?? ''),
    enabled: !!id,
    queryFn: () => unwrap(api.GET('/api/sessions/{id}', { params: { path: { id: id! } } })),
    refetchInterval: (query) => (query.state.data?.connected ? LIVE_TRANSCRIPT_POLL_MS : false),
  });
}

/** Every review of the session, for who decided and why (the transcript carries only each review's status). */
export function useSessionReviews(id: string | undefined) {
  return useQuery({
    queryKey: reviewsKey(id ?? ''),
    enabled: !!id,
    queryFn: async () => {
      const byId = new Map<string, SessionReview>();
      let cursor: string | undefined;
      do {
        const page = await unwrap(api.GET('/api/reviews', { params: { query: { session: id!, limit: 200, ...(cursor ? { cursor } : {}) } } }));
        for (const r of page.items) byId.set(r.id, r);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return byId;
    },
  });
}

/** Keeps the session list and open transcripts in step with the feed: connects, disconnects and every review event. */
export function useSessionFeed() {
  const client = useQueryClient();
  const onEvent = useCallback(
    (event: StreamEvent) => {
      const sessionId = (event.data as { session_id?: string }).session_id;
      if (event.type === 'stream.reset') {
        void client.invalidateQueries({ queryKey: ['sessions'] });
        return;
      }
      if (event.type.startsWith('session.')) void client.invalidateQueries({ queryKey: ['sessions', 'list'] });
      if (!sessionId) return;
      void client.invalidateQueries({ queryKey: detailKey(sessionId) });
      if (event.type.startsWith('review.')) void client.invalidateQueries({ queryKey: reviewsKey(sessionId) });
    },
    [client],
  );
  useStream(onEvent);
}

export type VerdictState = 'acked' | 'discarded' | 'unacked';

/** Whether the agent acknowledged the verdict: `discarded` means it came after the caller gave up, nothing acted on. */
export function verdictState(verdict: NonNullable<SessionEvent['verdict']>): VerdictState {
  if (verdict.ack_status === 'discarded') return 'discarded';
  return verdict.acked ? 'acked' : 'unacked';
}
