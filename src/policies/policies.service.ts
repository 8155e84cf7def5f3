import { Injectable } from '@nestjs/common';
import { notifyOnCommit } from '../infra/notify/notify-channel.js';
import type { PolicyRule, Prisma } from '../generated/prisma/client.js';
import { AuditService, type AuditActor } from '../audit/audit.service.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import type { PolicyRuleDto, PolicyView, PutPolicyDto } from './dto/policy.dto.js';
import { diffRules, ruleContent } from './policy-diff.js';
import { MAX_POLICY_PROGRAM_SIZE, PatternMemo, type PatternCompiler, type PolicySettings, type RuleSnapshot } from './policy-engine.js';
import { policyChangedChannel } from './policy-events.js';

export function ruleSnapshot(row: PolicyRule): RuleSnapshot {
  return {
    id: row.id,
    position: row.position,
    kind: row.kind,
    tool: row.toolGlob,
    input_pattern: row.inputPattern,
    action: row.action,
    reason: row.reason,
    timeout_decision: row.timeoutDecision,
  };
}

/**
 * Refuses a pattern RE2 cannot compile (or one too complex), naming the rule by its index in the request and why, and
 * patterns too complex together.
 */
export function checkPatterns(rules: PolicyRuleDto[], compilePattern: PatternCompiler): void {
  let instructions = 0;
  rules.forEach((rule, i) => {
    if (rule.input_pattern === undefined || rule.input_pattern === null) return;
    try {
      instructions += compilePattern(rule.input_pattern).programSize();
    } catch (err) {
      throw new AppError('validation_failed', `rules[${i}].input_pattern: not a valid pattern: ${(err as Error).message}`);
    }
  });
  if (instructions > MAX_POLICY_PROGRAM_SIZE) {
    throw new AppError('validation_failed', `rules: the input patterns compile to ${instructions} RE2 instructions in all, at most ${MAX_POLICY_PROGRAM_SIZE}`);
  }
}

/** The audit entry's account of what a save changed (see diffRules). */
function ruleChanges(before: RuleSnapshot[], after: RuleSnapshot[]): { changes: unknown[]; change_count: number } {
  const { changes, total } = diffRules(before.map(ruleContent), after.map(ruleContent));
  return { changes, change_count: total };
}

/** About ten of the largest policies' worth of compiled patterns, kept across reloads. */
const REMEMBERED_PATTERN_INSTRUCTIONS = 10 * MAX_POLICY_PROGRAM_SIZE;

export interface PolicyDefinition {
  settings: PolicySettings;
  /** In `position` order. */
  rules: RuleSnapshot[];
}

/** A project's rules and default action: reading, replacing, and loading them for the PolicyCache. */
@Injectable()
export class PoliciesService {
  private readonly patterns = new PatternMemo(REMEMBERED_PATTERN_INSTRUCTIONS);

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
  ) {}

  /** Compiles an input pattern, or hands back the one compiled for the same text (see PatternMemo). */
  readonly compilePattern: PatternCompiler = (pattern) => this.patterns.compile(pattern);

  async get(projectId: string): Promise<PolicyView> {
    const [project, rules] = await this.prisma.$transaction(
      [
        this.prisma.project.findUnique({ where: { id: projectId }, select: { defaultAction: true, updatedAt: true } }),
        this.prisma.policyRule.findMany({ where: { projectId }, orderBy: { position: 'asc' } }),
      ],
      { isolationLevel: 'RepeatableRead' },
    );
    if (!project) throw new AppError('not_found', 'project not found');
    return { project_id: projectId, default_action: project.defaultAction, rules: rules.map(ruleSnapshot), updated_at: project.updatedAt.toISOString() };
  }

  /**
   * Replaces the whole rule list and the default action in one transaction, audits it, and notifies every instance
   * on commit (their PolicyCache drops the project).
   */
  async replace(projectId: string, input: PutPolicyDto, actor: AuditActor, requestId?: string): Promise<PolicyView> {
    checkPatterns(input.rules, this.compilePattern);
    return this.prisma.$transaction(async (tx) => {
      // Locking the project row first: concurrent replacements of one project's rules run one after the other instead
      // of colliding on (project_id, position), and what this one replaces (for the audit entry) is read under it.
      const [existing] = await tx.$queryRaw<{ default_action: string }[]>`SELECT default_action::text FROM projects WHERE id = ${projectId}::uuid FOR UPDATE`;
      if (!existing) throw new AppError('not_found', 'project not found');
      const previousRules = await tx.policyRule.findMany({ where: { projectId }, orderBy: { position: 'asc' } });
      const project = await tx.project.update({ where: { id: projectId }, data: { defaultAction: input.default_action }, select: { updatedAt: true } });
      await tx.policyRule.deleteMany({ where: { projectId } });
      const data: Prisma.PolicyRuleCreateManyInput[] = input.rules.map((rule, position) => ({
        projectId,
        position,
        kind: rule.kind ?? null,
        toolGlob: rule.tool ?? null,
        inputPattern: rule.input_pattern ?? null,
        action: rule.action,
        reason: rule.reason ?? null,
        timeoutDecision: rule.timeout_decision ?? null,
      }));
      const rows = data.length > 0 ? await tx.policyRule.createManyAndReturn({ data }) : [];
      rows.sort((a, b) => a.position - b.position);
      await this.audit.record(
        {
          actor,
          action: 'policy.update',
          target: { type: 'project', id: projectId },
          details: {
            project_id: projectId,
            default_action: input.default_action,
            previous_default_action: existing.default_action,
            rule_count: rows.length,
            ...ruleChanges(previousRules.map(ruleSnapshot), rows.map(ruleSnapshot)),
          },
          requestId,
        },
        tx,
      );
      await notifyOnCommit(tx, policyChangedChannel, { project_id: projectId });
      return { project_id: projectId, default_action: input.default_action, rules: rows.map(ruleSnapshot), updated_at: project.updatedAt.toISOString() };
    });
  }

  /** What the PolicyCache compiles: the project's settings and rules, read from one snapshot. */
  async load(projectId: string): Promise<PolicyDefinition> {
    const [project, rules] = await this.prisma.$transaction(
      [
        this.prisma.project.findUnique({
          where: { id: projectId },
          select: {
            mode: true,
            defaultAction: true,
            timeoutDecision: true,
            reviewTimeoutSeconds: true,
            reviewMaxTimeoutSeconds: true,
            pausedAt: true,
            pausedBy: true,
            pauseReason: true,
          },
        }),
        this.prisma.policyRule.findMany({ where: { projectId }, orderBy: { position: 'asc' } }),
      ],
      { isolationLevel: 'RepeatableRead' },
    );
    if (!project) throw new AppError('not_found', 'project not found');
    const { pausedAt, pausedBy, pauseReason, ...settings } = project;
    const pause = pausedAt ? { at: pausedAt, by: pausedBy ?? 'someone', reason: pauseReason } : null;
    return { settings: { projectId, ...settings, pause }, rules: rules.map(ruleSnapshot) };
  }
}
