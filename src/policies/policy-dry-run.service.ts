import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../infra/database/prisma.service.js';
import { applyMode } from '../sessions/mode-decision.js';
import type { DryRunChange, DryRunDto, DryRunResult, DryRunSampleOutcome, DryRunTally } from './dto/dry-run.dto.js';
import { PoliciesService, checkPatterns } from './policies.service.js';
import { type CompiledPolicy, type RuleSnapshot, compilePolicy, matchRules } from './policy-engine.js';
import type { PolicyEvent } from './canonical-event.js';

/** The most recent events a dry run looks at. */
export const DRY_RUN_EVENTS = 1000;
/** Changed events the answer shows. */
const CHANGED_EXAMPLES = 20;
/**
 * Main-thread time a dry run may spend matching in all: each event is bounded by the engine (MATCH_BUDGET_MS), but
 * 1,000 costly ones would be 100 s. Past it the tally says `stopped_early`.
 */
const DRY_RUN_BUDGET_MS = 2000;
/** Matching yields to the event loop this often, so agents' verdicts on this instance are not held up by a dry run. */
const YIELD_EVERY_MS = 10;

type Decision = 'allow' | 'block' | 'review';

interface RecentEvent {
  session_id: string;
  event_id: string;
  kind: 'tool' | 'llm';
  tool: string | null;
  input: unknown;
  created_at: Date;
  verdict_decision: 'allow' | 'block' | null;
  reviewed: boolean;
}

/** A draft rule as the engine takes it: its index in the draft is its position. */
function draftSnapshots(draft: DryRunDto): RuleSnapshot[] {
  return draft.rules.map((rule, position) => ({
    id: `draft-${position}`,
    position,
    kind: rule.kind ?? null,
    tool: rule.tool ?? null,
    input_pattern: rule.input_pattern ?? null,
    action: rule.action,
    reason: rule.reason ?? null,
    timeout_decision: rule.timeout_decision ?? null,
  }));
}

/** What the draft decides for one event, through the real engine and the real mode decision. */
function decide(policy: CompiledPolicy, event: PolicyEvent): DryRunSampleOutcome {
  const match = matchRules(policy, event);
  const outcome = applyMode(policy, match);
  return {
    rule_index: match.rule?.position ?? null,
    rule_action: match.action,
    decision: outcome.kind === 'review' ? 'review' : outcome.decision,
    reason: outcome.reason,
    not_evaluated: match.rule === null && match.timeoutDecision === 'block',
  };
}

/**
 * A draft policy tested before it is saved: against an event typed by hand, and against the project's most recent
 * events (what would have changed). Only reads; the draft is validated exactly as PUT rules validates it.
 */
@Injectable()
export class PolicyDryRunService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly policies: PoliciesService,
  ) {}

  async run(projectId: string, draft: DryRunDto): Promise<DryRunResult> {
    checkPatterns(draft.rules, this.policies.compilePattern);
    const { settings } = await this.policies.load(projectId);
    // The draft under the project's current mode and timeouts; a pause is not part of what the rules say.
    const policy = compilePolicy({ ...settings, defaultAction: draft.default_action, pause: null }, draftSnapshots(draft), this.policies.compilePattern);
    const sample = draft.sample ? decide(policy, { kind: draft.sample.kind, tool: draft.sample.tool ?? null, input: draft.sample.input ?? null }) : null;
    return { mode: policy.mode, sample, recent: await this.tally(policy, await this.recentEvents(projectId)) };
  }

  /**
   * The project's newest events, each session's newest read through its (session_id, seq) index: there is no index
   * on the project's events as a whole.
   */
  private recentEvents(projectId: string): Promise<RecentEvent[]> {
    return this.prisma.$queryRaw<RecentEvent[]>`
      SELECT e.session_id, e.event_id, e.kind::text AS kind, e.tool, e.input, e.created_at,
             v.decision::text AS verdict_decision, (r.id IS NOT NULL) AS reviewed
        FROM agent_sessions s
        CROSS JOIN LATERAL (
          SELECT * FROM agent_events ev WHERE ev.session_id = s.id ORDER BY ev.seq DESC LIMIT ${DRY_RUN_EVENTS}
        ) e
        LEFT JOIN verdicts v ON v.event_row_id = e.id
        LEFT JOIN reviews r ON r.event_row_id = e.id
       WHERE s.project_id = ${projectId}::uuid
       ORDER BY e.seq DESC
       LIMIT ${DRY_RUN_EVENTS}`;
  }

  private async tally(policy: CompiledPolicy, events: RecentEvent[]): Promise<DryRunTally> {
    const tally: DryRunTally = { evaluated: 0, blocked: 0, reviewed: 0, allowed: 0, changed: 0, not_evaluated: 0, stopped_early: false, changed_examples: [] };
    const started = performance.now();
    let yieldedAt = started;
    for (const e of events) {
      const now = performance.now();
      if (now - started > DRY_RUN_BUDGET_MS) {
        tally.stopped_early = true;
        break;
      }
      if (now - yieldedAt > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        yieldedAt = performance.now();
      }
      const outcome = decide(policy, { kind: e.kind, tool: e.tool, input: e.input });
      tally.evaluated++;
      if (outcome.decision === 'block') tally.blocked++;
      else if (outcome.decision === 'review') tally.reviewed++;
      else tally.allowed++;
      if (outcome.not_evaluated) tally.not_evaluated++;
      // A reviewed event counts as `review` whatever its review's outcome: that is what the draft is compared with.
      const recorded: Decision = e.reviewed ? 'review' : (e.verdict_decision ?? 'review');
      if (recorded === outcome.decision) continue;
      tally.changed++;
      if (tally.changed_examples.length < CHANGED_EXAMPLES) {
        const change: DryRunChange = {
          session_id: e.session_id,
          event_id: e.event_id,
          kind: e.kind,
          tool: e.tool,
          created_at: e.created_at.toISOString(),
          recorded,
          draft: outcome.decision,
          rule_index: outcome.rule_index,
          reason: outcome.reason,
        };
        tally.changed_examples.push(change);
      }
    }
    return tally;
  }
}
