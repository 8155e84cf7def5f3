import { jest } from '@jest/globals';
import { TenantThrottle } from './tenant-throttle.js';

describe('TenantThrottle', () => {
  let clock = 0;
  const calls: string[] = [];
  const throttled: string[] = [];
  const make = () =>
    new TenantThrottle<string>(
      { bytesPerSecond: 1000, cpuMsPerSecond: 100 },
      { hold: (c) => calls.push(`hold ${c}`), release: (c) => calls.push(`release ${c}`) },
      (t) => throttled.push(t),
      () => clock,
    );

  beforeEach(() => {
    jest.useFakeTimers();
    clock = 0;
    calls.length = 0;
    throttled.length = 0;
  });
  afterEach(() => jest.useRealTimers());

  it("holds every connection of a tenant over either rate until its buckets refill, and no other tenant's", async () => {
    const t = make();
    t.join('p', 'a');
    t.join('p', 'b');
    t.join('q', 'c');
    t.charge('p', 1000, 0);
    expect(calls).toEqual([]);
    t.charge('p', 0, 150);
    expect(calls).toEqual(['hold a', 'hold b']);
    expect(throttled).toEqual(['p']);
    expect(t.heldCount).toBe(2);
    // Joining while held: held too. Charging while held extends the wait, not the count.
    t.join('p', 'd');
    t.charge('p', 800, 0);
    expect(t.throttles).toBe(1);
    expect(calls).toEqual(['hold a', 'hold b', 'hold d']);
    // The cpu bucket (-50 ms at 100 ms/s) is refilled at 0.5 s, the bytes (-800 at 1,000/s) only at 0.8 s.
    let opened = false;
    void t.opened('p')!.then(() => (opened = true));
    expect(t.opened('q')).toBeUndefined();
    clock = 501;
    jest.advanceTimersByTime(501);
    expect(t.isThrottled('p')).toBe(true);
    clock = 803;
    jest.advanceTimersByTime(302);
    expect(t.isThrottled('p')).toBe(false);
    await Promise.resolve();
    expect(opened).toBe(true);
    expect(calls.slice(3).sort()).toEqual(['release a', 'release b', 'release d']);
    expect(t.isThrottled('q')).toBe(false);
  });

  it('keeps a tenant whose connections all left until its buckets are full, so reconnecting does not refill them', () => {
    const t = make();
    t.join('p', 'a');
    t.charge('p', 900, 0);
    t.leave('p', 'a');
    t.join('p', 'b');
    t.charge('p', 200, 0);
    expect(calls).toEqual(['hold b']);
  });
});
