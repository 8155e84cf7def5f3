import { applyMode } from '../sessions/mode-decision.js';
import { compilePolicy, matchRules } from './policy-engine.js';

const settings = { projectId: 'p', defaultAction: 'allow' as const, timeoutDecision: 'allow' as const, reviewTimeoutSeconds: 300, reviewMaxTimeoutSeconds: 86400 };
const allowAll = [{ id: 'r', position: 0, kind: null, tool: null, input_pattern: null, action: 'allow' as const, reason: 'fine', timeout_decision: null }];
const pause = { at: new Date(), by: 'a@b.test', reason: 'runaway agent' };

describe('a paused project', () => {
  it('blocks every event before any rule, naming who paused it and why, in every mode', () => {
    for (const mode of ['monitor', 'block', 'hitl'] as const) {
      const policy = compilePolicy({ ...settings, mode, pause }, allowAll);
      const match = matchRules(policy, { kind: 'tool', tool: 'fs.read', input: { path: '/tmp' } });
      expect(match).toEqual({ action: 'block', reason: 'project paused by a@b.test: runaway agent', rule: null, paused: true });
      expect(applyMode(policy, match)).toEqual({ kind: 'verdict', decision: 'block', reason: 'project paused by a@b.test: runaway agent' });
    }
  });

  it('says only who paused it when no reason was given, and lets the rules decide once resumed', () => {
    const paused = compilePolicy({ ...settings, mode: 'block', pause: { ...pause, reason: null } }, allowAll);
    expect(matchRules(paused, { kind: 'llm' }).reason).toBe('project paused by a@b.test');
    const resumed = compilePolicy({ ...settings, mode: 'monitor', pause: null }, allowAll);
    expect(applyMode(resumed, matchRules(resumed, { kind: 'llm' })).kind === 'verdict' && applyMode(resumed, matchRules(resumed, { kind: 'llm' }))).toMatchObject({ decision: 'allow' });
  });
});
