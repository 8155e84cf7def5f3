import { createHash } from 'node:crypto';

/** The hash the first entry links to while nothing was removed (the migration's genesis). */
export const GENESIS_HASH = '0'.repeat(64);

/** One audit entry as the chain sees it: every field as PostgreSQL renders it to text (see AuditChainRepository). */
export interface ChainEntry {
  id: string;
  seq: string;
  prev_hash: string;
  hash: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  /** jsonb's own text form, which is deterministic (keys ordered, one spacing). */
  details: string;
  /** UTC, milliseconds: `2026-11-30T05:31:32.217Z`. */
  at: string;
  request_id: string | null;
}

/** A link of the chain: the seq and hash of an entry (or of the anchor, or the head). */
export interface ChainLink {
  seq: string;
  hash: string;
}

export type ChainProblem = 'altered' | 'deleted' | 'inserted';

export interface BrokenLink {
  /** Where the chain breaks: the entry's seq (for a deletion, the missing seq). */
  seq: string;
  /** The entry's id, or null for a deleted one. */
  id: string | null;
  problem: ChainProblem;
  message: string;
}

/** Length-prefixed (UTF-8 bytes) or a dash for null: no text can end a field early. Same as audit_chain_field(). */
function field(value: string | null): string {
  return value === null ? '-' : `${Buffer.byteLength(value, 'utf8')}:${value}`;
}

/** The SHA-256 (hex) of an entry's canonical form, computed here independently of the database's audit_entry_hash(). */
export function entryHash(e: ChainEntry): string {
  const canonical = [e.id, e.seq, e.prev_hash, e.actor_type, e.actor_id, e.action, e.target_type, e.target_id, e.details, e.at, e.request_id].map(field).join('');
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/**
 * Walks the chain one entry at a time, in seq order, from the anchor, and stops at the first broken link. It keeps
 * the entry before the current one, so that it can tell an insertion (the next entry links over the stranger) from
 * an alteration (the entry's content no longer matches its own hash).
 */
export class ChainWalker {
  private expectedSeq: bigint;
  private expectedPrev: string;
  /** The hash the previous entry linked to: an entry linking to it skips over the previous one (an insertion). */
  private beforePrevious: string | undefined;
  private previous: ChainEntry | undefined;
  /** An entry whose own hash is wrong, held until the next entry says whether it was inserted or altered. */
  private suspect: ChainEntry | undefined;
  private broken: BrokenLink | undefined;
  checked = 0;

  /** `head` and the entries must come from one snapshot: then no entry a writer appended lies past the head. */
  constructor(
    anchor: ChainLink,
    private readonly head: ChainLink,
  ) {
    this.expectedSeq = BigInt(anchor.seq) + 1n;
    this.expectedPrev = anchor.hash;
  }

  get result(): BrokenLink | undefined {
    return this.broken;
  }

  /** Feeds the next entry; returns false once the chain is broken (no need to read further). */
  push(e: ChainEntry): boolean {
    if (this.broken) return false;
    if (this.suspect) {
      const suspect = this.suspect;
      this.suspect = undefined;
      this.broken =
        e.prev_hash === this.expectedPrev
          ? { seq: suspect.seq, id: suspect.id, problem: 'inserted', message: `entry ${suspect.seq} (id ${suspect.id}) was inserted: entry ${e.seq} links over it to entry ${this.previous?.seq ?? 'the anchor'}` }
          : { seq: suspect.seq, id: suspect.id, problem: 'altered', message: `entry ${suspect.seq} (id ${suspect.id}) was altered: its content does not match its hash` };
      return false;
    }
    const seq = BigInt(e.seq);
    if (seq > BigInt(this.head.seq)) {
      this.broken = { seq: e.seq, id: e.id, problem: 'inserted', message: `entry ${e.seq} (id ${e.id}) was inserted: it lies past the chain's head (entry ${this.head.seq})` };
      return false;
    }
    if (seq > this.expectedSeq) {
      this.broken = { seq: this.expectedSeq.toString(), id: null, problem: 'deleted', message: `entry ${this.expectedSeq} was deleted: the chain goes on at entry ${e.seq} (id ${e.id})` };
      return false;
    }
    if (seq < this.expectedSeq) {
      this.broken = { seq: e.seq, id: e.id, problem: 'inserted', message: `entry ${e.seq} (id ${e.id}) was inserted: its seq is already taken or lies before the anchor` };
      return false;
    }
    const ownHashHolds = entryHash(e) === e.hash;
    if (ownHashHolds && e.prev_hash === this.expectedPrev) {
      this.advance(e);
      return true;
    }
    if (this.previous && e.prev_hash === this.beforePrevious) {
      const p = this.previous;
      this.broken = { seq: p.seq, id: p.id, problem: 'inserted', message: `entry ${p.seq} (id ${p.id}) was inserted: entry ${e.seq} links over it` };
      return false;
    }
    if (!ownHashHolds) {
      this.suspect = e;
      return true;
    }
    // Its own hash holds but it links elsewhere: the entry before it was rewritten, hash and all.
    this.broken = this.previous
      ? { seq: this.previous.seq, id: this.previous.id, problem: 'altered', message: `entry ${this.previous.seq} (id ${this.previous.id}) was altered and its hash recomputed: entry ${e.seq} links to a different hash` }
      : { seq: e.seq, id: e.id, problem: 'altered', message: `entry ${e.seq} (id ${e.id}) does not link to the anchor (seq ${this.expectedSeq - 1n})` };
    return false;
  }

  /** After the last entry: a suspect with no successor, then the head's own record of the newest link. */
  finish(): BrokenLink | undefined {
    const head = this.head;
    if (this.broken) return this.broken;
    if (this.suspect) {
      const s = this.suspect;
      this.suspect = undefined;
      this.broken = { seq: s.seq, id: s.id, problem: 'altered', message: `entry ${s.seq} (id ${s.id}) was altered: its content does not match its hash` };
      return this.broken;
    }
    const last = this.expectedSeq - 1n;
    if (BigInt(head.seq) > last) {
      this.broken = { seq: (last + 1n).toString(), id: null, problem: 'deleted', message: `entry ${last + 1n} was deleted: the chain's head is at entry ${head.seq}, the newest entry left is ${last}` };
    } else if (head.hash !== this.expectedPrev) {
      const p = this.previous;
      this.broken = { seq: last.toString(), id: p?.id ?? null, problem: 'altered', message: `entry ${last} does not match the hash the chain's head recorded for it` };
    }
    return this.broken;
  }

  private advance(e: ChainEntry): void {
    this.beforePrevious = this.expectedPrev;
    this.previous = e;
    this.expectedPrev = e.hash;
    this.expectedSeq += 1n;
    this.checked += 1;
  }
}
