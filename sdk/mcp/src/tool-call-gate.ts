import { randomUUID } from 'node:crypto';
import type { ArbiterLink, GateVerdict } from './arbiter-link.js';

/** What to do with one `tools/call`: forward it (with these arguments), answer it ourselves, or drop it (cancelled). */
export type GateOutcome =
  | { kind: 'forward'; arguments: unknown; verdict: GateVerdict }
  | { kind: 'answer'; result: { content: Array<{ type: 'text'; text: string }>; isError: true }; verdict: GateVerdict }
  | { kind: 'cancelled' };

export interface CallParams {
  name: string;
  arguments?: Record<string, unknown>;
}

/** Who decided a block, in words a model can act on. */
function blockedBy(v: GateVerdict): string {
  switch (v.source) {
    case 'policy': return "the project's policy";
    case 'review': return 'a human reviewer';
    case 'timeout': return 'the review expiring unanswered';
    case 'client_timeout': return 'no decision in time';
    case 'client_abort': return 'the call being cancelled';
    default: return v.unreachable ? 'the gateway: Arbiter is unreachable, and calls are refused until it is back' : 'the gateway: Arbiter could not decide';
  }
}

export function blockedText(tool: string, v: GateVerdict): string {
  const review = v.review_id ? ` (review ${v.review_id})` : '';
  return `Blocked by Arbiter: the call to ${tool} was not made. Decided by ${blockedBy(v)}${review}. Reason: ${v.reason}`;
}

/**
 * Decides one `tools/call` through Arbiter: the event is `{kind: "tool", tool: "<prefix>.<name>", input: arguments}`.
 * Allow forwards the call (with a reviewer's edited arguments when edited); block answers an `isError` result saying
 * by what and why, so the model can change course; an abort (the client's notifications/cancelled) withdraws it.
 */
export class ToolCallGate {
  constructor(
    private readonly link: ArbiterLink,
    private readonly prefix: string,
  ) {}

  toolName(name: string): string {
    return `${this.prefix}.${name}`;
  }

  async decide(params: CallParams, signal: AbortSignal, onPending: (reviewId: string) => void): Promise<GateOutcome> {
    const tool = this.toolName(params.name);
    const input = params.arguments ?? {};
    const verdict = await this.link.decide({ event_id: randomUUID(), kind: 'tool', tool, input }, signal, onPending);
    if (signal.aborted) return { kind: 'cancelled' };
    if (verdict.decision === 'allow') return { kind: 'forward', arguments: verdict.edited ? verdict.input : params.arguments, verdict };
    return { kind: 'answer', result: { content: [{ type: 'text', text: blockedText(tool, verdict) }], isError: true }, verdict };
  }
}
