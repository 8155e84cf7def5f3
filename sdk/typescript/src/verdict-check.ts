// Whether a verdict frame answers the call this SDK sent, and the Verdict handed to the caller when it does.
import { eventInputSha256 } from './canonical.js';
import type { Verdict, VerdictSource } from './types.js';

/** What this SDK sent for one event, and its hash. */
export interface SentAction {
  event_id: string;
  kind: 'tool' | 'llm';
  tool: string | null;
  input: unknown;
  sha256: string;
}

export type VerdictCheck = { ok: true; verdict: Verdict } | { ok: false; reason: string };

/**
 * A plain verdict must carry the hash of the call sent. An edited one (a reviewer approved a changed input) must say
 * that it replaces the call sent (`original_input_sha256`) and carry the hash of the input it brings (`input_sha256`
 * over kind, tool and `input`): else it is refused, and the caller gets block.
 */
export function checkVerdict(frame: Record<string, unknown>, sent: SentAction): VerdictCheck {
  const decision = frame.decision === 'allow' || frame.decision === 'block' ? frame.decision : undefined;
  if (!decision) return { ok: false, reason: 'refused a verdict without a decision' };
  const common: Pick<Verdict, 'event_id' | 'decision' | 'reason' | 'source' | 'review_id'> = {
    event_id: sent.event_id,
    decision,
    reason: typeof frame.reason === 'string' ? frame.reason : '',
    source: frame.source as VerdictSource,
    review_id: typeof frame.review_id === 'string' ? frame.review_id : null,
  };
  if (frame.edited !== true) {
    if (frame.input_sha256 !== sent.sha256) return { ok: false, reason: 'refused a verdict for a different call than the one sent (input_sha256)' };
    return { ok: true, verdict: { ...common, input_sha256: sent.sha256, edited: false, input: sent.input } };
  }
  if (frame.original_input_sha256 !== sent.sha256) {
    return { ok: false, reason: 'refused an edited verdict: it replaces a different call than the one sent (original_input_sha256)' };
  }
  let editedSha256: string;
  try {
    editedSha256 = eventInputSha256({ kind: sent.kind, tool: sent.tool, input: frame.input });
  } catch {
    return { ok: false, reason: 'refused an edited verdict: its input has no canonical form' };
  }
  if (frame.input_sha256 !== editedSha256) return { ok: false, reason: 'refused an edited verdict: its input does not match its input_sha256' };
  return { ok: true, verdict: { ...common, input_sha256: editedSha256, edited: true, input: frame.input, original_input_sha256: sent.sha256 } };
}

/** The verdict this SDK gives itself when no usable verdict came: block, unless `allow` (failOpen on a timeout). */
export function fallbackVerdict(sent: SentAction, source: 'client_timeout' | 'client_abort' | 'client_error', reason: string, allow = false): Verdict {
  return { event_id: sent.event_id, decision: allow ? 'allow' : 'block', reason, source, review_id: null, input_sha256: sent.sha256, edited: false, input: sent.input };
}
