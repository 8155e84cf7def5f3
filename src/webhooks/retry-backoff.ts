const MAX_RETRY_DELAY_MS = 3600_000;

/** The retry delay after `attempts` failed attempts: doubling from `baseMs`, capped at an hour, ±20 % jitter. */
export function retryDelayMs(attempts: number, baseMs: number, random: () => number = Math.random): number {
  const plain = Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(plain * (0.8 + 0.4 * random()));
}
