import type { CompiledPolicy, RuleMatch } from '../policies/policy-engine.js';
import { applyMode } from './mode-decision.js';

const policy = (mode: CompiledPolicy['mode'], timeoutDecision: 'allow' | 'block' = 'block'): CompiledPolicy => ({
  projectId: 'p',
  mode,
  defaultAction: 'allow',
  timeoutDecision,
  reviewTimeoutSeconds: 300,
  reviewMaxTimeoutSeconds: 3600,
  rules: [],
});

const review: RuleMatch = {
  action: 'review',
  reason: 'destructive command',
  rule: { id: 'r1', position: 0, kind: 'tool', tool: 'shell.*', input_pattern: 'rm -rf', action: 'review', reason: 'destructive command', timeout_decision: null },
};
const block: RuleMatch = { action: 'block', reason: 'no network', rule: null };
const allow: RuleMatch = { action: 'allow', reason: 'default action', rule: null };

describe('applyMode', () => {
  it('allows everything in monitor mode and says what the rules would have done', () => {
    expect(applyMode(policy('monitor'), block)).toEqual({ kind: 'verdict', decision: 'allow', reason: 'monitor mode (rules would block: no network)' });
    expect(applyMode(policy('monitor'), review)).toMatchObject({ kind: 'verdict', decision: 'allow' });
  });

  it('lets rules decide in block mode and fails closed on review', () => {
    expect(applyMode(policy('block'), allow)).toEqual({ kind: 'verdict', decision: 'allow', reason: 'default action' });
    expect(applyMode(policy('block'), block)).toEqual({ kind: 'verdict', decision: 'block', reason: 'no network' });
    expect(applyMode(policy('block'), review)).toMatchObject({ kind: 'verdict', decision: 'block' });
  });

  it('holds review for a person in hitl mode, with the rule’s timeout decision before the project’s', () => {
    expect(applyMode(policy('hitl', 'allow'), review)).toEqual({ kind: 'review', reason: 'destructive command', timeoutDecision: 'allow', timeoutSeconds: 300 });
    const strict = { ...review, rule: { ...review.rule!, timeout_decision: 'block' as const } };
    expect(applyMode(policy('hitl', 'allow'), strict)).toMatchObject({ kind: 'review', timeoutDecision: 'block' });
    expect(applyMode(policy('hitl'), block)).toEqual({ kind: 'verdict', decision: 'block', reason: 'no network' });
  });

  it('lets an unevaluated input expire as a block whatever the project and rule say', () => {
    const unevaluated: RuleMatch = { action: 'review', reason: 'input not evaluated: too large', rule: null, timeoutDecision: 'block' };
    expect(applyMode(policy('hitl', 'allow'), unevaluated)).toMatchObject({ kind: 'review', timeoutDecision: 'block' });
    expect(applyMode(policy('block', 'allow'), unevaluated)).toMatchObject({ kind: 'verdict', decision: 'block' });
  });
});
