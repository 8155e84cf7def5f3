import { type CompiledPolicy, MAX_PATTERN_INPUT_CHARS, type RuleSnapshot, compilePolicy, globToRegExp, matchRules } from './policy-engine.js';

let nextId = 0;
function rule(fields: Partial<RuleSnapshot> & Pick<RuleSnapshot, 'action'>): RuleSnapshot {
  return { id: `rule-${nextId}`, position: nextId++, kind: null, tool: null, input_pattern: null, reason: null, timeout_decision: null, ...fields };
}

function policy(rules: RuleSnapshot[], defaultAction: CompiledPolicy['defaultAction'] = 'allow'): CompiledPolicy {
  const positioned = rules.map((r, position) => ({ ...r, position }));
  return compilePolicy(
    { projectId: 'p', mode: 'block', defaultAction, timeoutDecision: 'block', reviewTimeoutSeconds: 300, reviewMaxTimeoutSeconds: 86400 },
    positioned,
  );
}

describe('tool globs', () => {
  const matches = (glob: string, name: string) => globToRegExp(glob).test(name);

  it('lets * match any run of characters, dots included', () => {
    expect(matches('shell.*', 'shell.exec')).toBe(true);
    expect(matches('shell.*', 'shell.exec.sudo')).toBe(true);
    expect(matches('shell.*', 'shell.')).toBe(true);
    expect(matches('*', '')).toBe(true);
    expect(matches('*.delete', 'db.users.delete')).toBe(true);
    expect(matches('fs.*.write', 'fs.local.write')).toBe(true);
  });

  it('lets ? match exactly one character', () => {
    expect(matches('db.v?', 'db.v1')).toBe(true);
    expect(matches('db.v?', 'db.v')).toBe(false);
    expect(matches('db.v?', 'db.v10')).toBe(false);
    expect(matches('a?c', 'a😀c')).toBe(true);
  });

  it('is anchored to the whole name', () => {
    expect(matches('shell.*', 'myshell.exec')).toBe(false);
    expect(matches('shell', 'shell.exec')).toBe(false);
    expect(matches('exec', 'shell.exec')).toBe(false);
    expect(matches('shell.exec', 'shell.exec')).toBe(true);
  });

  it('treats every other character literally', () => {
    expect(matches('shell.exec', 'shellXexec')).toBe(false);
    expect(matches('mcp:github/create-issue', 'mcp:github/create-issue')).toBe(true);
    expect(matches('a+b', 'aab')).toBe(false);
    expect(matches('a+b', 'a+b')).toBe(true);
    expect(matches('(x)', '(x)')).toBe(true);
  });
});

describe('matchRules', () => {
  it('answers the default action when nothing matches, or when there are no rules', () => {
    expect(matchRules(policy([], 'review'), { kind: 'tool', tool: 'x' })).toEqual({ action: 'review', reason: 'default action', rule: null });
    const p = policy([rule({ tool: 'shell.*', action: 'block' })], 'allow');
    expect(matchRules(p, { kind: 'tool', tool: 'fs.read' })).toEqual({ action: 'allow', reason: 'default action', rule: null });
  });

  it('lets the first matching rule win', () => {
    const first = rule({ tool: 'shell.*', action: 'review', reason: 'shell needs a look' });
    const second = rule({ tool: 'shell.exec', action: 'block', reason: 'never' });
    const p = policy([first, second]);
    const match = matchRules(p, { kind: 'tool', tool: 'shell.exec' });
    expect(match.action).toBe('review');
    expect(match.reason).toBe('shell needs a look');
    expect(match.rule?.id).toBe(first.id);
    // In the other order, the narrower rule wins.
    expect(matchRules(policy([second, first]), { kind: 'tool', tool: 'shell.exec' }).rule?.id).toBe(second.id);
  });

  it('returns the whole rule snapshot that decided', () => {
    const r = rule({ kind: 'tool', tool: 'shell.*', input_pattern: 'rm -rf', action: 'review', reason: 'destructive command', timeout_decision: 'block' });
    const match = matchRules(policy([r]), { kind: 'tool', tool: 'shell.exec', input: { cmd: 'rm -rf /' } });
    expect(match).toEqual({ action: 'review', reason: 'destructive command', rule: { ...r, position: 0 } });
  });

  it('names the rule by position when it has no reason', () => {
    const p = policy([rule({ tool: 'a', action: 'allow' }), rule({ tool: 'b', action: 'block' })]);
    expect(matchRules(p, { kind: 'tool', tool: 'b' }).reason).toBe('matched rule 1');
  });

  it('filters on kind when the rule sets one', () => {
    const p = policy([rule({ kind: 'llm', action: 'review' }), rule({ kind: 'tool', action: 'block' })]);
    expect(matchRules(p, { kind: 'llm', input: 'hello' }).action).toBe('review');
    expect(matchRules(p, { kind: 'tool', tool: 'x' }).action).toBe('block');
  });

  it('matches every event with a rule that sets nothing', () => {
    const p = policy([rule({ action: 'block' })], 'allow');
    expect(matchRules(p, { kind: 'llm' }).action).toBe('block');
    expect(matchRules(p, { kind: 'tool', tool: 'x', input: { a: 1 } }).action).toBe('block');
  });

  it('never matches a rule with a tool glob against an event without a tool', () => {
    const p = policy([rule({ tool: '*', action: 'block' })], 'allow');
    expect(matchRules(p, { kind: 'tool' }).action).toBe('allow');
    expect(matchRules(p, { kind: 'tool', tool: null }).action).toBe('allow');
    expect(matchRules(p, { kind: 'llm', input: { tool: 'shell.exec' } }).action).toBe('allow');
    expect(matchRules(p, { kind: 'tool', tool: 'anything' }).action).toBe('block');
  });

  it('requires every field the rule sets to match', () => {
    const p = policy([rule({ kind: 'tool', tool: 'shell.*', input_pattern: 'rm -rf', action: 'block' })], 'allow');
    expect(matchRules(p, { kind: 'tool', tool: 'shell.exec', input: { cmd: 'rm -rf /' } }).action).toBe('block');
    expect(matchRules(p, { kind: 'tool', tool: 'shell.exec', input: { cmd: 'ls' } }).action).toBe('allow');
    expect(matchRules(p, { kind: 'tool', tool: 'fs.exec', input: { cmd: 'rm -rf /' } }).action).toBe('allow');
    expect(matchRules(p, { kind: 'llm', tool: 'shell.exec', input: { cmd: 'rm -rf /' } }).action).toBe('allow');
  });

  it("tests the input pattern against the input's canonical JSON text", () => {
    // Keys are sorted and there is no whitespace, so a pattern can span key and value.
    const p = policy([rule({ input_pattern: '^\\{"a":1,"path":"/etc/', action: 'block' })], 'allow');
    expect(matchRules(p, { kind: 'tool', tool: 'fs.read', input: { path: '/etc/passwd', a: 1 } }).action).toBe('block');
    expect(matchRules(p, { kind: 'tool', tool: 'fs.read', input: { path: '/home/me', a: 1 } }).action).toBe('allow');
    const quoted = policy([rule({ input_pattern: '"amount":[0-9]{5,}', action: 'review' })], 'allow');
    expect(matchRules(quoted, { kind: 'tool', tool: 'pay', input: { amount: 25000, to: 'x' } }).action).toBe('review');
    expect(matchRules(quoted, { kind: 'tool', tool: 'pay', input: { amount: 25, to: 'x' } }).action).toBe('allow');
  });

  it('is case-sensitive and unflagged, as written', () => {
    const p = policy([rule({ input_pattern: 'DROP TABLE', action: 'block' })], 'allow');
    expect(matchRules(p, { kind: 'llm', input: 'please DROP TABLE users' }).action).toBe('block');
    expect(matchRules(p, { kind: 'llm', input: 'please drop table users' }).action).toBe('allow');
    const inline = policy([rule({ input_pattern: '[Dd][Rr][Oo][Pp]', action: 'block' })], 'allow');
    expect(matchRules(inline, { kind: 'llm', input: 'drop' }).action).toBe('block');
  });

  it('tests a missing input as the text null', () => {
    const p = policy([rule({ input_pattern: '^null$', action: 'review' })], 'allow');
    expect(matchRules(p, { kind: 'llm' }).action).toBe('review');
    expect(matchRules(p, { kind: 'llm', input: {} }).action).toBe('allow');
  });

  it('gives the same answer whatever order the input keys came in', () => {
    const p = policy([rule({ input_pattern: '"a":1,"b":2', action: 'block' })], 'allow');
    expect(matchRules(p, { kind: 'llm', input: { b: 2, a: 1 } }).action).toBe('block');
    expect(matchRules(p, { kind: 'llm', input: { a: 1, b: 2 } }).action).toBe('block');
  });

  it(`looks only at the first ${MAX_PATTERN_INPUT_CHARS} characters of the input text`, () => {
    const p = policy([rule({ input_pattern: 'NEEDLE', action: 'block' })], 'allow');
    const early = { a: 'NEEDLE', z: 'x'.repeat(MAX_PATTERN_INPUT_CHARS) };
    const late = { a: 'x'.repeat(MAX_PATTERN_INPUT_CHARS), z: 'NEEDLE' };
    expect(matchRules(p, { kind: 'llm', input: early }).action).toBe('block');
    expect(matchRules(p, { kind: 'llm', input: late }).action).toBe('allow');
  });

  it('compiles globs and patterns once, when the policy is compiled', () => {
    const p = policy([rule({ tool: 'shell.*', input_pattern: 'rm', action: 'block' })]);
    expect(p.rules[0].toolMatcher).toBeInstanceOf(RegExp);
    expect(p.rules[0].inputMatcher).toBeInstanceOf(RegExp);
    const toolMatcher = p.rules[0].toolMatcher;
    matchRules(p, { kind: 'tool', tool: 'shell.exec', input: 'rm' });
    expect(p.rules[0].toolMatcher).toBe(toolMatcher);
  });

  it('orders rules by position when compiling', () => {
    const p = compilePolicy(
      { projectId: 'p', mode: 'hitl', defaultAction: 'allow', timeoutDecision: 'block', reviewTimeoutSeconds: 300, reviewMaxTimeoutSeconds: 86400 },
      [rule({ action: 'block', position: 1 }), rule({ action: 'review', position: 0 })],
    );
    expect(matchRules(p, { kind: 'llm' }).action).toBe('review');
  });
});
