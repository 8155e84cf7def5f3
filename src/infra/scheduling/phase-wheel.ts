/**
 * Spreads a periodic chore (pinging sockets, renewing their sessions' leases) over its period: the wheel has `slots`
 * slots and turns one slot per `periodMs / slots`; each member sits in one slot (its phase), so a turn touches only
 * the members of that slot.
 * Checking every member at every turn, or pinging all the due ones in a few big turns, stalled the event loop for the
 * active agents: at 20,000 idle sockets a turn of a twentieth of them (a write each) took 40-80 ms.
 */
export class PhaseWheel<T> {
  private readonly slots: Set<T>[];
  private readonly slotOf = new Map<T, number>();
  private hand = 0;

  constructor(slotCount: number, private readonly random: () => number = Math.random) {
    if (!Number.isInteger(slotCount) || slotCount < 1) throw new Error(`PhaseWheel: slotCount must be a positive integer, got ${slotCount}`);
    this.slots = Array.from({ length: slotCount }, () => new Set<T>());
  }

  /** The number of slots that gives turns of about `turnMs` over `periodMs` (at least 1, at most `maxSlots`). */
  static slotsFor(periodMs: number, turnMs: number, maxSlots = 1000): number {
    return Math.max(1, Math.min(maxSlots, Math.round(periodMs / turnMs)));
  }

  get slotCount(): number {
    return this.slots.length;
  }

  get size(): number {
    return this.slotOf.size;
  }

  /** Adds a member at a random phase: its first turn comes within one period. */
  add(member: T): void {
    if (this.slotOf.has(member)) return;
    const slot = Math.min(this.slots.length - 1, Math.floor(this.random() * this.slots.length));
    this.slots[slot].add(member);
    this.slotOf.set(member, slot);
  }

  remove(member: T): void {
    const slot = this.slotOf.get(member);
    if (slot === undefined) return;
    this.slots[slot].delete(member);
    this.slotOf.delete(member);
  }

  /** Moves the hand one slot and returns that slot's members (a copy: the caller may remove members as it goes). */
  turn(): T[] {
    const members = [...this.slots[this.hand]];
    this.hand = (this.hand + 1) % this.slots.length;
    return members;
  }
}
