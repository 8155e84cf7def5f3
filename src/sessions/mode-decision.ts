import type { CompiledPolicy, RuleMatch } from '../policies/policy-engine.js';

export type ModeOutcome =
  | { kind: 'verdict'; decision: 'allow' | 'block'; reason: string }
  | { kind: 'review'; reason: string; timeoutDecision: 'allow' | 'block'; timeoutSeconds: number };

/**
 * What the project's mode makes of the rules' answer. `monitor` always allows (the rules' answer is recorded on the
 * event); `block` lets rules decide and treats `review` as `block` (fail closed); `hitl` holds `review` for a person.
 */
export function applyMode(policy: CompiledPolicy, match: RuleMatch): ModeOutcome {
  // A paused project blocks in monitor mode too: the pause is a kill switch.
  if (match.paused) return { kind: 'verdict', decision: 'block', reason: match.reason };
  if (policy.mode === 'monitor') {
    return { kind: 'verdict', decision: 'allow', reason: `monitor mode (rules would ${match.action}: ${match.reason})` };
  }
  if (match.action === 'review') {
    if (policy.mode === 'hitl') {
      return {
        kind: 'review',
        reason: match.reason,
        timeoutDecision: match.timeoutDecision ?? match.rule?.timeout_decision ?? policy.timeoutDecision,
        timeoutSeconds: policy.reviewTimeoutSeconds,
      };
    }
    return { kind: 'verdict', decision: 'block', reason: `review required, and the project is in block mode: ${match.reason}` };
  }
  return { kind: 'verdict', decision: match.action, reason: match.reason };
}
