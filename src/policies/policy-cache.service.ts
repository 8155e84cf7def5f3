import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { PgNotifyService } from '../infra/notify/pg-notify.service.js';
import { PoliciesService } from './policies.service.js';
import { type CompiledPolicy, compilePolicy } from './policy-engine.js';
import { policyChangedChannel } from './policy-events.js';

interface Entry {
  promise: Promise<CompiledPolicy>;
  settled: boolean;
  /** Counted from when the load started, so the entry is never older than the TTL. */
  expiresAt: number;
}

/**
 * Each project's compiled policy, kept in memory per instance. Staleness is bounded three ways: a change anywhere
 * publishes `arbiter_policy_changed` on commit and every instance drops that project; a LISTEN reconnect (notifications
 * may have been missed) drops everything, and so does any moment the LISTEN connection is down; and every entry
 * expires after `policyCacheTtlMs` regardless.
 */
@Injectable()
export class PolicyCache implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PolicyCache.name);
  private readonly entries = new Map<string, Entry>();
  /** Stored patterns already reported as not compiling (rule id and pattern), so each is logged once per process. */
  private readonly reportedPatterns = new Set<string>();
  private readonly stopListening: Array<() => void> = [];
  private readonly ttlMs: number;

  constructor(
    private readonly policies: PoliciesService,
    private readonly notify: PgNotifyService,
    @Inject(ARBITER_CONFIG) config: ArbiterConfig,
  ) {
    this.ttlMs = config.policyCacheTtlMs;
  }

  onModuleInit(): void {
    this.stopListening.push(
      this.notify.subscribe(policyChangedChannel, (payload) => {
        if (typeof payload?.project_id === 'string') this.invalidate(payload.project_id);
      }),
      this.notify.onReconnect(() => this.clear()),
    );
  }

  onModuleDestroy(): void {
    for (const stop of this.stopListening.splice(0)) stop();
    this.entries.clear();
  }

  /**
   * The project's compiled policy. Concurrent calls for a project not in the cache share one load.
   * Throws AppError('not_found') for an unknown project.
   */
  get(projectId: string): Promise<CompiledPolicy> {
    const now = Date.now();
    const entry = this.entries.get(projectId);
    // While the LISTEN connection is down a change could go unnoticed, so only a load already under way is shared.
    if (entry && (!entry.settled || (entry.expiresAt > now && this.notify.listening))) return entry.promise;
    return this.load(projectId, now);
  }

  /** Drops one project; the next `get` reloads it. */
  invalidate(projectId: string): void {
    this.entries.delete(projectId);
  }

  clear(): void {
    this.entries.clear();
  }

  /** A stored pattern RE2 cannot compile (saved before patterns were RE2): its rule fails closed; say so once. */
  private reportBrokenPattern(projectId: string, ruleId: string, pattern: string | null, error: string | null): void {
    if (error === null) return;
    const key = `${ruleId} ${pattern}`;
    if (this.reportedPatterns.has(key)) return;
    this.reportedPatterns.add(key);
    this.logger.warn(
      `project ${projectId}: rule ${ruleId} has an input_pattern that does not compile (${error}); it is taken to match if it blocks or reviews, and never if it allows. Save the rules again with a valid pattern.`,
    );
  }

  private load(projectId: string, now: number): Promise<CompiledPolicy> {
    const promise = this.policies.load(projectId).then(({ settings, rules }) => {
      const policy = compilePolicy(settings, rules, this.policies.compilePattern);
      for (const { snapshot, patternError } of policy.rules) this.reportBrokenPattern(projectId, snapshot.id, snapshot.input_pattern, patternError);
      return policy;
    });
    const entry: Entry = { promise, settled: false, expiresAt: now + this.ttlMs };
    this.entries.set(projectId, entry);
    // An invalidation during the load removed `entry`, so its (possibly older) result is handed out but not kept.
    promise.then(
      () => {
        entry.settled = true;
      },
      () => {
        if (this.entries.get(projectId) === entry) this.entries.delete(projectId);
      },
    );
    return promise;
  }
}
