import { type QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useSyncExternalStore } from 'react';
import { type Schemas, ApiError, api, unwrap } from '../api/client';
import type { Me } from '../auth/session';
import { type StreamEvent, useStream } from '../stream/stream';
import { notifyNewReview } from './notifications';

export type Review = Schemas['ReviewView'];
export type ReviewDetail = Schemas['ReviewDetailView'];

const pendingKey = ['reviews', 'pending'] as const;
export const detailKey = (id: string) => ['reviews', 'detail', id] as const;

/** Every pending review, soonest to expire first. */
export function usePendingReviews() {
  return useQuery({
    queryKey: pendingKey,
    queryFn: async () => {
      const all: Review[] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(api.GET('/api/reviews', { params: { query: { status: 'pending', limit: 200, ...(cursor ? { cursor } : {}) } } }));
        all.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return sortByTimeLeft(all);
    },
  });
}

function sortByTimeLeft(reviews: Review[]): Review[] {
  return [...reviews].sort((a, b) => a.expires_at.localeCompare(b.expires_at) || a.created_at.localeCompare(b.created_at));
}

export function useReviewDetail(id: string) {
  // '' is "no review" (a closed dialog): GET /api/reviews/ would be the list.
  return useQuery({ queryKey: detailKey(id), enabled: id !== '', queryFn: () => unwrap(api.GET('/api/reviews/{id}', { params: { path: { id } } })) });
}

/** Project names by id, for the cards (the feed and the review carry only the id). */
export function useProjectNames() {
  return useQuery({
    queryKey: ['projects', 'names'],
    queryFn: async () => {
      const names = new Map<string, string>();
      let cursor: string | undefined;
      do {
        const page = await unwrap(api.GET('/api/projects', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
        for (const p of page.items) names.set(p.id, p.name);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return names;
    },
    staleTime: 60_000,
  });
}

/** Who decided: people by id. Only admins may list users; others see "another reviewer". */
export function useUserNames(me: Me) {
  return useQuery({
    queryKey: ['users', 'names'],
    enabled: me.role === 'admin',
    queryFn: async () => {
      const names = new Map<string, string>();
      let cursor: string | undefined;
      do {
        const page = await unwrap(api.GET('/api/users', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
        for (const u of page.items) names.set(u.id, u.email);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return names;
    },
    staleTime: 60_000,
  });
}

// --- what settled a review that left the queue, shown in a live region -------------------------------------------------

export interface Settled {
  id: string;
  text: string;
  tone: 'allow' | 'block' | 'info' | 'error';
}

let settled: Settled[] = [];
const settledListeners = new Set<() => void>();

export function announce(entry: Settled) {
  settled = [entry, ...settled.filter((s) => s.id !== entry.id)].slice(0, 5);
  for (const l of settledListeners) l();
}

export function dismiss(id: string) {
  settled = settled.filter((s) => s.id !== id);
  for (const l of settledListeners) l();
}

export function useSettled(): Settled[] {
  return useSyncExternalStore(
    (cb) => {
      settledListeners.add(cb);
      return () => settledListeners.delete(cb);
    },
    () => settled,
  );
}

// --- the live feed -----------------------------------------------------------------------------------------------------

interface ReviewPayload {
  review_id: string;
  project_id: string;
  session_id: string;
  session_external_id: string;
  event_id: string;
  kind: string;
  tool: string | null;
  status: string;
  reason: string | null;
  timeout_decision: string;
  created_at: string;
  expires_at: string;
  decided_by: string | null;
  decided_at: string | null;
  note: string | null;
  decision: string | null;
  source: string | null;
  /** review.withdrawn: why the agent withdrew it, when it said. */
  withdrawn_reason?: string | null;
}

function fromPayload(p: ReviewPayload, previous?: Review): Review {
  return {
    ...(previous ?? { input_sha256: '' }),
    id: p.review_id,
    project_id: p.project_id,
    session_id: p.session_id,
    session_external_id: p.session_external_id,
    event_id: p.event_id,
    kind: p.kind as Review['kind'],
    tool: p.tool,
    status: p.status as Review['status'],
    reason: p.reason,
    timeout_decision: p.timeout_decision as Review['timeout_decision'],
    created_at: p.created_at,
    expires_at: p.expires_at,
    decided_by: p.decided_by,
    decided_at: p.decided_at,
    note: p.note,
    withdrawn_reason: p.withdrawn_reason ?? previous?.withdrawn_reason ?? null,
    // The feed carries neither the project's setting nor an edit: the card's detail query has them.
    allow_edits: previous?.allow_edits ?? false,
    edited: previous?.edited ?? false,
    edited_input: previous?.edited_input ?? null,
    edited_input_sha256: previous?.edited_input_sha256 ?? null,
    verdict: p.decision && p.source ? { decision: p.decision as 'allow' | 'block', source: p.source as 'review' | 'timeout', reason: previous?.verdict?.reason ?? '' } : null,
  };
}

export function removePending(client: QueryClient, id: string): Review | undefined {
  const list = client.getQueryData<Review[]>(pendingKey);
  const found = list?.find((r) => r.id === id);
  if (found) client.setQueryData<Review[]>(pendingKey, list!.filter((r) => r.id !== id));
  return found;
}

export function patchDetail(client: QueryClient, id: string, review: Review) {
  client.setQueryData<ReviewDetail>(detailKey(id), (old) => (old ? { ...old, ...review, input_sha256: old.input_sha256 } : old));
}

/** "shell.exec (session run-7)": how a review is named in a sentence. */
export function reviewName(r: { tool: string | null; kind: string; session_external_id: string }): string {
  return `${r.tool ?? r.kind} (session ${r.session_external_id})`;
}

/** How a decided or expired review was settled, in words. */
export function settledText(r: Review, people: { me: Me; names?: Map<string, string> }): string {
  if (r.status === 'withdrawn') {
    const why = r.withdrawn_reason;
    return `${reviewName(r)} was withdrawn by the agent${why ? ` (${why})` : ''}: it no longer waits, and no verdict is sent.`;
  }
  if (r.status === 'expired') return `${reviewName(r)} expired: nobody decided in time, the agent got ${r.verdict?.decision ?? r.timeout_decision}.`;
  const who = !r.decided_by ? 'someone' : r.decided_by === people.me.id ? 'you' : (people.names?.get(r.decided_by) ?? 'another reviewer');
  const verb = r.status === 'approved' ? 'approved' : 'denied';
  return `${reviewName(r)} was ${verb} by ${who}${r.note ? `: “${r.note}”` : ''}.`;
}

/**
 * Keeps the review caches in step with /api/stream: new reviews join the inbox, decided, expired and withdrawn ones leave it
 * saying who or what settled them, extensions move deadlines, and agents' connections update their cards.
 */
export function useReviewFeed(me: Me) {
  const client = useQueryClient();
  const users = useUserNames(me);
  const names = users.data;
  const onEvent = useCallback(
    (event: StreamEvent) => {
      switch (event.type) {
        case 'review.created': {
          const review = fromPayload(event.data as unknown as ReviewPayload);
          const list = client.getQueryData<Review[]>(pendingKey);
          if (!list) void client.invalidateQueries({ queryKey: pendingKey });
          else if (!list.some((r) => r.id === review.id)) client.setQueryData(pendingKey, sortByTimeLeft([...list, review]));
          notifyNewReview(review);
          break;
        }
        case 'review.decided':
        case 'review.expired':
        case 'review.withdrawn': {
          const payload = event.data as unknown as ReviewPayload;
          const previous = removePending(client, payload.review_id);
          const review = fromPayload(payload, previous);
          patchDetail(client, review.id, review);
          if (previous) announce({ id: review.id, text: settledText(review, { me, names }), tone: review.status === 'approved' ? 'allow' : review.status === 'denied' ? 'block' : 'info' });
          break;
        }
        case 'review.extended': {
          const payload = event.data as unknown as ReviewPayload;
          const list = client.getQueryData<Review[]>(pendingKey);
          if (list) client.setQueryData(pendingKey, sortByTimeLeft(list.map((r) => (r.id === payload.review_id ? { ...r, expires_at: payload.expires_at } : r))));
          client.setQueryData<ReviewDetail>(detailKey(payload.review_id), (old) => (old ? { ...old, expires_at: payload.expires_at } : old));
          break;
        }
        case 'session.connected':
        case 'session.disconnected': {
          const sessionId = (event.data as { session_id?: string }).session_id;
          const connected = event.type === 'session.connected';
          for (const [key, detail] of client.getQueriesData<ReviewDetail>({ queryKey: ['reviews', 'detail'] })) {
            if (detail && detail.session_id === sessionId) client.setQueryData(key, { ...detail, agent_connected: connected });
          }
          break;
        }
        case 'stream.reset':
          void client.invalidateQueries({ queryKey: ['reviews'] });
          break;
      }
    },
    [client, me, names],
  );
  useStream(onEvent);
}

// --- actions -----------------------------------------------------------------------------------------------------------

/** Approve or deny; the first decision wins, so a 409 says who was first and the card leaves all the same. */
export function useDecide(me: Me) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ review, decision, note, input }: { review: Review; decision: 'approve' | 'deny'; note?: string; input?: unknown }) =>
      unwrap(
        api.POST('/api/reviews/{id}/decision', {
          params: { path: { id: review.id } },
          // `input` (edit-then-approve) is sent only when the reviewer edited it; `undefined` means the agent's own.
          body: { decision, ...(note ? { note } : {}), ...(input !== undefined ? { input: input as Schemas['DecideReviewDto']['input'] } : {}) },
        }),
      ),
    onSuccess: (result) => {
      removePending(client, result.review.id);
      patchDetail(client, result.review.id, result.review);
      const delivered = result.agent_connected ? 'the agent has it' : 'the agent gets it when it reconnects';
      announce({ id: result.review.id, text: `${settledText(result.review, { me })} The verdict is ${result.verdict.decision}; ${delivered}.`, tone: result.verdict.decision === 'allow' ? 'allow' : 'block' });
    },
    onError: (err, { review }) => {
      if (err instanceof ApiError && err.code === 'already_decided') {
        removePending(client, review.id);
        void client.invalidateQueries({ queryKey: detailKey(review.id) });
        announce({ id: review.id, text: `${reviewName(review)} was already settled (${String(err.details?.status ?? 'decided')}).`, tone: 'info' });
      } else {
        announce({ id: review.id, text: `Could not decide ${reviewName(review)}: ${err.message}`, tone: 'error' });
      }
    },
  });
}

export const EXTEND_SECONDS = 300;

export function useExtend() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (review: Review) => unwrap(api.POST('/api/reviews/{id}/extend', { params: { path: { id: review.id } }, body: { seconds: EXTEND_SECONDS } })),
    onSuccess: (updated) => {
      const list = client.getQueryData<Review[]>(pendingKey);
      if (list) client.setQueryData(pendingKey, sortByTimeLeft(list.map((r) => (r.id === updated.id ? updated : r))));
      patchDetail(client, updated.id, updated);
    },
    onError: (err, review) => announce({ id: review.id, text: `Could not extend ${reviewName(review)}: ${err.message}`, tone: 'error' }),
  });
}
