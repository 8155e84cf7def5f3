import { PhaseWheel } from './phase-wheel.js';

describe('PhaseWheel', () => {
  it('visits every member exactly once per full turn of the wheel, a slot at a time', () => {
    const wheel = new PhaseWheel<number>(10);
    for (let i = 0; i < 1000; i++) wheel.add(i);
    const seen: number[] = [];
    const perTurn: number[] = [];
    for (let t = 0; t < 10; t++) {
      const members = wheel.turn();
      perTurn.push(members.length);
      seen.push(...members);
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    // Spread out: no slot holds more than a few times its share.
    expect(Math.max(...perTurn)).toBeLessThan(200);
    // The next full turn visits them all again.
    const again = Array.from({ length: 10 }, () => wheel.turn()).flat();
    expect(again).toHaveLength(1000);
  });

  it('places members by phase, keeps each in its slot, and forgets removed ones', () => {
    const phases = [0, 0.5, 0.99, 0.5];
    const wheel = new PhaseWheel<string>(4, () => phases.shift()!);
    wheel.add('a');
    wheel.add('b');
    wheel.add('c');
    wheel.add('a'); // already there: stays in its slot
    expect(wheel.size).toBe(3);
    expect([wheel.turn(), wheel.turn(), wheel.turn(), wheel.turn()]).toEqual([['a'], [], ['b'], ['c']]);
    wheel.remove('b');
    wheel.remove('nobody');
    expect([wheel.turn(), wheel.turn(), wheel.turn(), wheel.turn()]).toEqual([['a'], [], [], ['c']]);
    expect(wheel.size).toBe(2);
  });

  it('lets the caller remove members while going through a turn', () => {
    const wheel = new PhaseWheel<number>(1);
    [1, 2, 3].forEach((i) => wheel.add(i));
    for (const m of wheel.turn()) wheel.remove(m);
    expect(wheel.size).toBe(0);
    expect(wheel.turn()).toEqual([]);
  });

  it('sizes turns to a target length, within bounds', () => {
    expect(PhaseWheel.slotsFor(15_000, 50)).toBe(300);
    expect(PhaseWheel.slotsFor(200, 50)).toBe(4);
    expect(PhaseWheel.slotsFor(10, 50)).toBe(1);
    expect(PhaseWheel.slotsFor(3_600_000, 50)).toBe(1000);
    expect(() => new PhaseWheel(0)).toThrow(/positive integer/);
  });
});
