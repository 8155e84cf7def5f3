import os from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** Arbiter's settings, read once from the environment at start and validated; nothing else reads process.env. */
export interface ArbiterConfig {
  port: number;
  host: string;
  /** Unset means the embedded PostgreSQL under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  publicUrl: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Express `trust proxy`: false, true, a hop count, or a comma-separated list of addresses/subnets. */
  trustProxy: boolean | number | string;
  migrateOnStart: boolean;
  instanceId: string;
  dbPoolSize: number;
  shutdownTimeoutMs: number;
  embeddedPgPort: number;
  /** Server-wide secret for HMACs (client address hashing, webhook secret encryption). Unset: one is made and kept in the database. */
  secret: string | undefined;
  /** The secret ARBITER_SECRET replaced: what was sealed under it is still opened, and re-sealed under the new one. */
  secretPrevious: string | undefined;
  /** DATABASE_URL was set by the operator (not the embedded PostgreSQL, whose URL main.ts fills in later). */
  externalDatabase: boolean;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  // auth
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  sessionTtlSeconds: number;
  loginMaxFailures: number;
  loginMaxFailuresPerAddress: number;
  loginWindowSeconds: number;
  // sessions (agent WebSocket)
  wsMaxFrameBytes: number;
  wsLoginTimeoutMs: number;
  wsPingIntervalMs: number;
  wsMaxBufferedBytes: number;
  /** Bytes of received frames one connection may have waiting to be handled before its socket stops being read. */
  wsMaxQueuedBytes: number;
  /** The same for all of this instance's connections together. */
  wsMaxQueuedBytesTotal: number;
  /** Bytes of agent frames one project may send this instance per second before its sockets stop being read a while. */
  wsProjectBytesPerSecond: number;
  /** Milliseconds of the main thread one project's agent frames may take per second, likewise. */
  wsProjectCpuMsPerSecond: number;
  /** Sockets not yet logged in that one client address may hold at once; more are refused with HTTP 429. */
  wsMaxUnauthenticatedPerAddress: number;
  leaseSeconds: number;
  // policies
  /** How long an instance may serve a cached project policy without reloading it (change notifications aside). */
  policyCacheTtlMs: number;
  // reviews
  reviewSweepIntervalMs: number;
  webhookAllowPrivate: boolean;
  /** How long a webhook call may take before it counts as failed. */
  webhookTimeoutMs: number;
  /** Attempts per (webhook, event) before the delivery is given up. */
  webhookMaxAttempts: number;
  /** First retry delay; it doubles per failed attempt (with jitter), up to an hour. */
  webhookRetryBaseMs: number;
  /** How long the dashboard feed's event log is kept for Last-Event-ID resume (at least 10 minutes). */
  streamRetentionSeconds: number;
  // retention (src/retention)
  /** Days events, verdicts, reviews and transcripts are kept, for projects without retention_days of their own. */
  retentionDays: number;
  /** Days audit entries are kept (the chain's anchor moves as the oldest go). */
  auditRetentionDays: number;
  /** Pause between retention passes (each pass works in bounded batches until nothing is left). */
  retentionIntervalMs: number;
  // shares
  sharePublicRateLimit: number;
  sharePublicRateWindowSeconds: number;
}

type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return Number(value);
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name} must be true or false (got "${value}")`);
    return fallback;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
      return fallback;
    }
    return value as T;
  }

  url(name: string, protocols: string[]): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return value;
    } catch {
      this.problems.push(`${name} must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL`);
      return undefined;
    }
  }
}

function parseTrustProxy(reader: EnvReader): boolean | number | string {
  const value = reader.raw('TRUST_PROXY');
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  if (/^[\w.:/, -]+$/.test(value)) return value;
  reader.problems.push(`TRUST_PROXY must be true, false, a hop count, or a list of addresses (got "${value}")`);
  return false;
}

export function loadConfig(env: Env = process.env): ArbiterConfig {
  const r = new EnvReader(env);
  const port = r.int('PORT', 3000, 0, 65535);
  const host = r.string('HOST', '0.0.0.0');
  const publicUrl = r.url('PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`;
  const adminEmail = r.raw('ARBITER_ADMIN_EMAIL');
  if (adminEmail !== undefined && !/^[^@\s]+@[^@\s]+$/.test(adminEmail)) {
    r.problems.push('ARBITER_ADMIN_EMAIL must be an email address');
  }
  const adminPassword = r.raw('ARBITER_ADMIN_PASSWORD');
  if (adminPassword !== undefined && adminPassword.length < 12) {
    r.problems.push('ARBITER_ADMIN_PASSWORD must be at least 12 characters');
  }
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    r.problems.push('ARBITER_ADMIN_EMAIL and ARBITER_ADMIN_PASSWORD must be set together');
  }
  const secret = r.raw('ARBITER_SECRET');
  if (secret !== undefined && secret.length < 32) {
    r.problems.push('ARBITER_SECRET must be at least 32 characters');
  }
  const secretPrevious = r.raw('ARBITER_SECRET_PREVIOUS');
  if (secretPrevious !== undefined && secret === undefined) r.problems.push('ARBITER_SECRET_PREVIOUS needs ARBITER_SECRET (the secret that replaces it)');
  if (secretPrevious !== undefined && secretPrevious.length < 32) r.problems.push('ARBITER_SECRET_PREVIOUS must be at least 32 characters');
  const metricsToken = r.raw('ARBITER_METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) r.problems.push('ARBITER_METRICS_TOKEN must be at least 16 characters');
  const config: ArbiterConfig = {
    port,
    host,
    databaseUrl: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: path.resolve(r.string('ARBITER_DATA_DIR', './.arbiter')),
    publicUrl: publicUrl.replace(/\/+$/, ''),
    logLevel: r.oneOf('LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    trustProxy: parseTrustProxy(r),
    migrateOnStart: r.bool('ARBITER_MIGRATE_ON_START', false),
    instanceId: r.string('ARBITER_INSTANCE_ID', `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`),
    dbPoolSize: r.int('ARBITER_DB_POOL_SIZE', 10, 2, 200),
    shutdownTimeoutMs: r.int('ARBITER_SHUTDOWN_TIMEOUT_MS', 9000, 1000, 120_000),
    embeddedPgPort: r.int('ARBITER_EMBEDDED_PG_PORT', 0, 0, 65535),
    secret,
    secretPrevious,
    externalDatabase: r.raw('DATABASE_URL') !== undefined,
    metricsToken,
    adminEmail: adminEmail?.toLowerCase(),
    adminPassword,
    sessionTtlSeconds: r.int('ARBITER_SESSION_TTL_SECONDS', 12 * 3600, 60, 30 * 86400),
    loginMaxFailures: r.int('ARBITER_LOGIN_MAX_FAILURES', 5, 1, 1000),
    loginMaxFailuresPerAddress: r.int('ARBITER_LOGIN_MAX_FAILURES_PER_ADDRESS', 20, 1, 100_000),
    loginWindowSeconds: r.int('ARBITER_LOGIN_WINDOW_SECONDS', 900, 1, 86400),
    wsMaxFrameBytes: r.int('ARBITER_WS_MAX_FRAME_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    wsLoginTimeoutMs: r.int('ARBITER_WS_LOGIN_TIMEOUT_MS', 10_000, 100, 300_000),
    wsPingIntervalMs: r.int('ARBITER_WS_PING_INTERVAL_MS', 15_000, 100, 300_000),
    wsMaxBufferedBytes: r.int('ARBITER_WS_MAX_BUFFERED_BYTES', 1024 * 1024, 16 * 1024, 256 * 1024 * 1024),
    wsMaxQueuedBytes: r.int('ARBITER_WS_MAX_QUEUED_BYTES', 1024 * 1024, 16 * 1024, 256 * 1024 * 1024),
    wsMaxQueuedBytesTotal: r.int('ARBITER_WS_MAX_QUEUED_BYTES_TOTAL', 64 * 1024 * 1024, 1024 * 1024, 4096 * 1024 * 1024),
    wsProjectBytesPerSecond: r.int('ARBITER_WS_PROJECT_BYTES_PER_SECOND', 1024 * 1024, 64 * 1024, 4096 * 1024 * 1024),
    wsProjectCpuMsPerSecond: r.int('ARBITER_WS_PROJECT_CPU_MS_PER_SECOND', 250, 10, 1000),
    wsMaxUnauthenticatedPerAddress: r.int('ARBITER_WS_MAX_UNAUTHENTICATED_PER_ADDRESS', 32, 1, 100_000),
    leaseSeconds: r.int('ARBITER_LEASE_SECONDS', 30, 1, 3600),
    policyCacheTtlMs: r.int('ARBITER_POLICY_CACHE_TTL_MS', 5000, 0, 3_600_000),
    reviewSweepIntervalMs: r.int('ARBITER_REVIEW_SWEEP_INTERVAL_MS', 1000, 50, 60_000),
    webhookAllowPrivate: r.bool('ARBITER_WEBHOOK_ALLOW_PRIVATE', false),
    webhookTimeoutMs: r.int('ARBITER_WEBHOOK_TIMEOUT_MS', 10_000, 500, 60_000),
    webhookMaxAttempts: r.int('ARBITER_WEBHOOK_MAX_ATTEMPTS', 12, 1, 100),
    webhookRetryBaseMs: r.int('ARBITER_WEBHOOK_RETRY_BASE_MS', 1000, 100, 3_600_000),
    streamRetentionSeconds: r.int('ARBITER_STREAM_RETENTION_SECONDS', 900, 600, 7 * 86400),
    retentionDays: r.int('ARBITER_RETENTION_DAYS', 30, 1, 36_500),
    auditRetentionDays: r.int('ARBITER_AUDIT_RETENTION_DAYS', 400, 1, 36_500),
    retentionIntervalMs: r.int('ARBITER_RETENTION_INTERVAL_MS', 60_000, 100, 86_400_000),
    sharePublicRateLimit: r.int('ARBITER_SHARE_RATE_LIMIT', 120, 1, 1_000_000),
    sharePublicRateWindowSeconds: r.int('ARBITER_SHARE_RATE_WINDOW_SECONDS', 60, 1, 86400),
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
