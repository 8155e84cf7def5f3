import { readFileSync } from 'node:fs';

/** The q-th quantile (0..1) of `values`, nearest-rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function summary(latenciesMs: number[]): { n: number; p50: number; p99: number } {
  return { n: latenciesMs.length, p50: quantile(latenciesMs, 0.5), p99: quantile(latenciesMs, 0.99) };
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

// Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream kernel build.
const CLOCK_TICKS = 100;

/** User+system CPU seconds a process has used so far (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: field 3 is state, so utime (14) and stime (15) sit at indexes 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resident set size in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
