import { type RuleSnapshot, compilePolicy } from '../policies/policy-engine.js';
import { alwaysBlockedTools } from './always-blocked.js';

const settings = { projectId: 'p', mode: 'hitl' as const, defaultAction: 'block' as const, timeoutDecision: 'block' as const, reviewTimeoutSeconds: 60, reviewMaxTimeoutSeconds: 600 };

function rule(position: number, fields: Partial<RuleSnapshot>): RuleSnapshot {
  return { id: `r${position}`, position, kind: 'tool', tool: null, input_pattern: null, action: 'allow', reason: null, timeout_decision: null, ...fields };
}

describe('alwaysBlockedTools', () => {
  const tools = ['fs.write_file', 'fs.read_file', 'github.create_issue', 'github.delete_repo'];

  it('names the tools whose first matching rule blocks with no input pattern', () => {
    const policy = compilePolicy(settings, [
      rule(0, { tool: 'fs.read_*', action: 'allow' }),
      rule(1, { tool: 'fs.write_file', action: 'block' }),
      rule(2, { tool: 'github.*', input_pattern: 'prod', action: 'block' }),
      rule(3, { tool: 'github.delete_*', action: 'block' }),
    ]);
    expect(alwaysBlockedTools(policy, tools)).toEqual(['fs.write_file']);
  });

  it('hides a tool after an allow rule with a pattern never, and one behind a pattern-less block', () => {
    const policy = compilePolicy(settings, [rule(0, { tool: 'github.*', input_pattern: 'x', action: 'allow' }), rule(1, { action: 'block' })]);
    expect(alwaysBlockedTools(policy, tools)).toEqual(['fs.write_file', 'fs.read_file']);
  });

  it('ignores llm rules, and reviews, the default action and monitor mode hide nothing', () => {
    const rules = [rule(0, { kind: 'llm', action: 'allow' }), rule(1, { tool: 'fs.*', action: 'block' }), rule(2, { tool: 'github.*', action: 'review' })];
    expect(alwaysBlockedTools(compilePolicy(settings, rules), tools)).toEqual(['fs.write_file', 'fs.read_file']);
    expect(alwaysBlockedTools(compilePolicy({ ...settings, mode: 'monitor' }, rules), tools)).toEqual([]);
    expect(alwaysBlockedTools(compilePolicy(settings, []), tools)).toEqual([]);
  });
});
