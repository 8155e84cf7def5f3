// The bookkeeping of calls to decide(): those waiting for a verdict, those answered (so replays are dropped), those
// whose caller gave up (so a late verdict is acked as discarded), and the cancels the server has not answered yet.
import type { Verdict } from './types.js';
import type { SentAction } from './verdict-check.js';

/** How many answered, given-up and held event ids are remembered (the oldest are forgotten first). */
const RECENT_LIMIT = 10_000;

/** A Set that forgets its oldest entries past RECENT_LIMIT. */
class RecentSet {
  private readonly ids = new Set<string>();

  add(id: string): void {
    this.ids.add(id);
    if (this.ids.size > RECENT_LIMIT) this.ids.delete(this.ids.values().next().value as string);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  delete(id: string): void {
    this.ids.delete(id);
  }
}

export interface WaitingCall {
  /** The event frame, sent again after a reconnect (the server answers a repeated event_id with its first answer). */
  frame: Record<string, unknown>;
  sent: SentAction;
  resolve: (verdict: Verdict) => void;
  /** Clears the call's timer and abort listener. */
  release: () => void;
}

export class PendingCalls {
  private readonly waiting = new Map<string, WaitingCall>();
  private readonly answered = new RecentSet();
  /** Event ids whose `pending` was handed to `onPending`: the server answers a resent event with `pending` again. */
  private readonly held = new RecentSet();
  private readonly givenUp = new RecentSet();
  /** event_id → reason of cancels sent (or to send) and not answered yet; sent again after a reconnect. */
  private readonly cancels = new Map<string, string>();

  has(eventId: string): boolean {
    return this.waiting.has(eventId);
  }

  get(eventId: string): WaitingCall | undefined {
    return this.waiting.get(eventId);
  }

  add(eventId: string, call: WaitingCall): void {
    this.waiting.set(eventId, call);
  }

  eventIds(): string[] {
    return [...this.waiting.keys()];
  }

  frames(): Record<string, unknown>[] {
    return [...this.waiting.values()].map((call) => call.frame);
  }

  /** Hands the verdict to the caller; false when the call was not waiting (answered or given up already). */
  settle(eventId: string, verdict: Verdict): boolean {
    const call = this.waiting.get(eventId);
    if (!call) return false;
    call.release();
    this.waiting.delete(eventId);
    this.answered.add(eventId);
    this.held.delete(eventId);
    call.resolve(verdict);
    return true;
  }

  /** Settles the call with the caller's fallback; whatever verdict the server sends for it later is discarded. */
  discard(eventId: string, verdict: Verdict): boolean {
    if (!this.settle(eventId, verdict)) return false;
    this.givenUp.add(eventId);
    return true;
  }

  /** Like discard, and records a cancel to send for it. */
  giveUp(eventId: string, verdict: Verdict, cancelReason: string): boolean {
    if (!this.discard(eventId, verdict)) return false;
    this.cancels.set(eventId, cancelReason);
    if (this.cancels.size > RECENT_LIMIT) this.cancels.delete(this.cancels.keys().next().value as string);
    return true;
  }

  wasGivenUp(eventId: string): boolean {
    return this.givenUp.has(eventId);
  }

  /** Whether a `pending` for this event is news to the caller (the first for a call still waiting). */
  firstHold(eventId: string): boolean {
    if (!this.waiting.has(eventId) || this.held.has(eventId)) return false;
    this.held.add(eventId);
    return true;
  }

  cancelAnswered(eventId: string): void {
    this.cancels.delete(eventId);
  }

  unansweredCancels(): [string, string][] {
    return [...this.cancels.entries()];
  }
}
