import { retryDelayMs } from './retry-backoff.js';

describe('retryDelayMs', () => {
  const middle = () => 0.5;

  it('doubles from the base delay with each failed attempt', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 1000, middle))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('never waits more than an hour', () => {
    expect(retryDelayMs(40, 1000, middle)).toBe(3600_000);
  });

  it('spreads retries by ±20 %', () => {
    expect(retryDelayMs(1, 1000, () => 0)).toBe(800);
    expect(retryDelayMs(1, 1000, () => 1)).toBe(1200);
  });
});
