import type { RuleSnapshot } from './policy-engine.js';

/** A rule's content, what the audit log keeps of it (ids change with every save). */
export interface RuleContent {
  kind: RuleSnapshot['kind'];
  tool: string | null;
  input_pattern: string | null;
  action: RuleSnapshot['action'];
  reason: string | null;
  timeout_decision: RuleSnapshot['timeout_decision'];
}

export interface RuleChange {
  position: number;
  /** null: the rule was added at this position. */
  before: RuleContent | null;
  /** null: the rule at this position was removed. */
  after: RuleContent | null;
}

/** The changes an audit entry keeps at most (the first ones by position); more are counted, not listed. */
export const MAX_RECORDED_CHANGES = 50;

export function ruleContent(rule: Omit<RuleSnapshot, 'id' | 'position'>): RuleContent {
  return {
    kind: rule.kind ?? null,
    tool: rule.tool ?? null,
    input_pattern: rule.input_pattern ?? null,
    action: rule.action,
    reason: rule.reason ?? null,
    timeout_decision: rule.timeout_decision ?? null,
  };
}

function same(a: RuleContent, b: RuleContent): boolean {
  return a.kind === b.kind && a.tool === b.tool && a.input_pattern === b.input_pattern && a.action === b.action && a.reason === b.reason && a.timeout_decision === b.timeout_decision;
}

/**
 * What changed between two ordered rule lists, position by position (rules are ordered, so a move shows as the
 * positions it changed). Bounded for the audit log: at most MAX_RECORDED_CHANGES listed, `total` counts them all.
 */
export function diffRules(before: RuleContent[], after: RuleContent[]): { changes: RuleChange[]; total: number } {
  const changes: RuleChange[] = [];
  let total = 0;
  for (let position = 0; position < Math.max(before.length, after.length); position++) {
    const was = before[position] ?? null;
    const is = after[position] ?? null;
    if (was && is && same(was, is)) continue;
    total++;
    if (changes.length < MAX_RECORDED_CHANGES) changes.push({ position, before: was, after: is });
  }
  return { changes, total };
}
