import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, unwrap } from '../api/client';
import type { Me } from '../auth/session';
import { type Review, patchDetail, removePending, reviewName, useUserNames } from './reviews';

export interface BulkResult {
  review: Review;
  outcome: 'decided' | 'settled' | 'error';
  text: string;
}

/**
 * Approve or deny several reviews: one API call per review (each is decided, or found already settled, on its own),
 * and a line per review saying which.
 */
export function useBulkDecision(me: Me) {
  const client = useQueryClient();
  const names = useUserNames(me).data;
  const [running, setRunning] = useState(false);
  const [results, setResults] = useState<BulkResult[]>([]);

  const who = (id: unknown) => (typeof id !== 'string' ? 'someone' : id === me.id ? 'you' : (names?.get(id) ?? 'another reviewer'));

  async function one(review: Review, decision: 'approve' | 'deny', note?: string): Promise<BulkResult> {
    try {
      const result = await unwrap(api.POST('/api/reviews/{id}/decision', { params: { path: { id: review.id } }, body: { decision, ...(note ? { note } : {}) } }));
      removePending(client, review.id);
      patchDetail(client, review.id, result.review);
      return { review, outcome: 'decided', text: `${reviewName(review)}: ${decision === 'approve' ? 'approved' : 'denied'}, the agent gets ${result.verdict.decision}.` };
    } catch (err) {
      if (err instanceof ApiError && err.code === 'already_decided') {
        removePending(client, review.id);
        void client.invalidateQueries({ queryKey: ['reviews', 'detail', review.id] });
        const status = String(err.details?.status ?? 'decided');
        const by = status === 'approved' || status === 'denied' ? ` by ${who(err.details?.decided_by)}` : status === 'withdrawn' ? ' by the agent' : '';
        return { review, outcome: 'settled', text: `${reviewName(review)}: already settled (${status}${by}).` };
      }
      return { review, outcome: 'error', text: `${reviewName(review)}: could not decide: ${(err as Error).message}` };
    }
  }

  async function run(reviews: Review[], decision: 'approve' | 'deny', note?: string): Promise<void> {
    setRunning(true);
    setResults([]);
    try {
      setResults(await Promise.all(reviews.map((r) => one(r, decision, note))));
    } finally {
      setRunning(false);
    }
  }

  return { run, running, results, clear: () => setResults([]) };
}
