import { RE2JS } from 're2js';
import {
  type CompiledPolicy,
  MAX_INPUT_TEXT_CHARS,
  MAX_PATTERN_PROGRAM_SIZE,
  MAX_TEST_WORK,
  PatternMemo,
  type RuleSnapshot,
  ToolGlob,
  compileInputPattern,
  compilePolicy,
  matchRules,
} from './policy-engine.js';

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
  const matches = (glob: string, name: string) => new ToolGlob(glob).test(name);

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

  it('backtracks over its stars correctly', () => {
    expect(matches('*a*b', 'xaxxbxb')).toBe(true);
    expect(matches('*a*b', 'xaxxbxc')).toBe(false);
    expect(matches('a*b*c', 'abbbc')).toBe(true);
    expect(matches('a*?c', 'ac')).toBe(false);
    expect(matches('a**c', 'ac')).toBe(true);
    expect(matches('*?', '')).toBe(false);
    expect(matches('?*', '😀')).toBe(true);
  });

  it('matches in time bounded by glob × name (a RegExp from this glob backtracked for 31 s)', () => {
    const glob = new ToolGlob(`${'*a'.repeat(50)}*b`);
    const started = performance.now();
    expect(glob.test('a'.repeat(200))).toBe(false);
    expect(glob.test(`${'a'.repeat(199)}b`)).toBe(true);
    expect(performance.now() - started).toBeLessThan(100);
  });
});

describe('input patterns', () => {
  it('are RE2: lookaround and backreferences are refused, saying why', () => {
    expect(() => compileInputPattern('(a)\\1')).toThrow(/invalid escape sequence.*RE2 syntax: no lookaround, no backreferences/);
    expect(() => compileInputPattern('rm(?= -rf)')).toThrow(/unsupported Perl syntax/);
    expect(() => compileInputPattern('(?<!x)y')).toThrow(/RE2/);
    expect(() => compileInputPattern('(unclosed')).toThrow(/missing closing \)/);
    expect(compileInputPattern('(?i)^\\s*rm\\b')).toBeInstanceOf(RE2JS);
  });

  it(`refuses a pattern over ${MAX_PATTERN_PROGRAM_SIZE} instructions`, () => {
    expect(compileInputPattern('x'.repeat(1000)).programSize()).toBeLessThanOrEqual(MAX_PATTERN_PROGRAM_SIZE);
    expect(() => compileInputPattern('(?s).{0,999}.{0,999}')).toThrow(/too complex: it compiles to \d+ instructions/);
  });

  it('are compiled once per text by a PatternMemo, the least recently used dropped past its size', () => {
    const memo = new PatternMemo(30);
    const a = memo.compile('a'.repeat(10));
    expect(memo.compile('a'.repeat(10))).toBe(a);
    const b = memo.compile('b'.repeat(10));
    expect(memo.compile('a'.repeat(10))).toBe(a);
    // 12 + 12 + 12 instructions is over 30: the least recently used (b) goes.
    memo.compile('c'.repeat(10));
    expect(memo.size).toBe(2);
    expect(memo.compile('a'.repeat(10))).toBe(a);
    expect(memo.compile('b'.repeat(10))).not.toBe(b);
    expect(() => memo.compile('(a)\\1')).toThrow(/backreferences/);
    expect(memo.size).toBe(2);
    // A policy compiled with it shares the compiled pattern.
    const settings = { projectId: 'p', mode: 'block' as const, defaultAction: 'allow' as const, timeoutDecision: 'block' as const, reviewTimeoutSeconds: 300, reviewMaxTimeoutSeconds: 86400 };
    const p = compilePolicy(settings, [rule({ input_pattern: 'a'.repeat(10), action: 'block' })], memo.compile);
    expect(p.rules[0].inputMatcher).toBe(a);
  });

  it('run in linear time: the pattern that froze the instance answers at once', () => {
    // (\w+\s?)+; over 40 word characters and no ';' is about 2^40 steps for a backtracking engine.
    const p = policy([rule({ input_pattern: '(\\w+\\s?)+;', action: 'block' })], 'allow');
    const started = performance.now();
    expect(matchRules(p, { kind: 'tool', tool: 'x', input: { q: 'a'.repeat(40) } }).action).toBe('allow');
    expect(matchRules(p, { kind: 'tool', tool: 'x', input: { q: `${'a'.repeat(40000)}!` } }).action).toBe('allow');
    expect(matchRules(p, { kind: 'tool', tool: 'x', input: { q: 'a b c;' } }).action).toBe('block');
    expect(performance.now() - started).toBeLessThan(500);
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

  it('tests the pattern against each key and scalar of the input, decoded, at any depth', () => {
    const p = policy([rule({ input_pattern: '^/etc/', action: 'block' })], 'allow');
    expect(matchRules(p, { kind: 'tool', tool: 'fs.read', input: { path: '/etc/passwd', a: 1 } }).action).toBe('block');
    expect(matchRules(p, { kind: 'tool', tool: 'fs.read', input: { path: '/home/me', a: 1 } }).action).toBe('allow');
    expect(matchRules(p, { kind: 'tool', tool: 'fs.read', input: { ops: [{ copy: { from: '/home/x', to: '/etc/cron.d/x' } }] } }).action).toBe('block');
    expect(matchRules(p, { kind: 'llm', input: '/etc/shadow' }).action).toBe('block');
    // Keys are tested too: a tool that takes a map can be handed the path as a key.
    expect(matchRules(p, { kind: 'tool', tool: 'fs.delete', input: { paths: { '/etc/hosts': true } } }).action).toBe('block');
  });

  it('sees a tab as a tab, not as JSON-escaped text', () => {
    const p = policy([rule({ input_pattern: 'rm\\s+-rf', action: 'block' })], 'allow');
    expect(matchRules(p, { kind: 'tool', tool: 'shell.exec', input: { cmd: 'rm\t-rf /srv' } }).action).toBe('block');
    expect(matchRules(p, { kind: 'tool', tool: 'shell.exec', input: { cmd: 'rm\n -rf /srv' } }).action).toBe('block');
    const quote = policy([rule({ input_pattern: '^say "hi"$', action: 'block' })], 'allow');
    expect(matchRules(quote, { kind: 'llm', input: { text: 'say "hi"' } }).action).toBe('block');
  });

  it('tests a string with lone surrogates without throwing', () => {
    const p = policy([rule({ input_pattern: '^a.b$', action: 'block' })], 'allow');
    expect(matchRules(p, { kind: 'llm', input: { s: 'a\ud800b' } }).action).toBe('block');
    expect(matchRules(p, { kind: 'llm', input: { s: '\udc00' } }).action).toBe('allow');
  });

  it('never spans two values: each text is tested on its own', () => {
    const p = policy([rule({ input_pattern: 'rm -rf', action: 'block' })], 'allow');
    expect(matchRules(p, { kind: 'tool', tool: 'shell.exec', input: ['rm', '-rf'] }).action).toBe('allow');
    expect(matchRules(p, { kind: 'tool', tool: 'shell.exec', input: { rm: '-rf' } }).action).toBe('allow');
  });

  it('tests numbers in their canonical form, however the agent spelled them, and booleans and null as words', () => {
    const amount = policy([rule({ input_pattern: '^[0-9]{5,}$', action: 'review' })], 'allow');
    expect(matchRules(amount, { kind: 'tool', tool: 'pay', input: { amount: 25000, to: 'x' } }).action).toBe('review');
    expect(matchRules(amount, { kind: 'tool', tool: 'pay', input: { amount: JSON.parse('2.5e4'), to: 'x' } }).action).toBe('review');
    expect(matchRules(amount, { kind: 'tool', tool: 'pay', input: { amount: 25, to: 'x' } }).action).toBe('allow');
    const port = policy([rule({ input_pattern: '^22$', action: 'block' })], 'allow');
    expect(matchRules(port, { kind: 'tool', tool: 'net.open', input: JSON.parse('{"port":22.0}') }).action).toBe('block');
    const force = policy([rule({ input_pattern: '^true$', action: 'block' })], 'allow');
    expect(matchRules(force, { kind: 'tool', tool: 'git.push', input: { force: true } }).action).toBe('block');
    expect(matchRules(force, { kind: 'tool', tool: 'git.push', input: { force: false } }).action).toBe('allow');
  });

  it('is case-sensitive and unflagged, as written; (?i) asks for case-insensitivity', () => {
    const p = policy([rule({ input_pattern: 'DROP TABLE', action: 'block' })], 'allow');
    expect(matchRules(p, { kind: 'llm', input: 'please DROP TABLE users' }).action).toBe('block');
    expect(matchRules(p, { kind: 'llm', input: 'please drop table users' }).action).toBe('allow');
    const inline = policy([rule({ input_pattern: '(?i)drop\\s+table', action: 'block' })], 'allow');
    expect(matchRules(inline, { kind: 'llm', input: 'please Drop  Table users' }).action).toBe('block');
  });

  it('tests a missing input as the text null, and an empty object or array as nothing', () => {
    const p = policy([rule({ input_pattern: '^null$', action: 'review' })], 'allow');
    expect(matchRules(p, { kind: 'llm' }).action).toBe('review');
    expect(matchRules(p, { kind: 'llm', input: {} }).action).toBe('allow');
    const any = policy([rule({ input_pattern: '', action: 'block' })], 'allow');
    expect(matchRules(any, { kind: 'llm', input: [] }).action).toBe('allow');
    expect(matchRules(any, { kind: 'llm', input: [''] }).action).toBe('block');
  });

  it('sees past any padding: a key that sorts first and thousands of 9e20 do not hide the command', () => {
    const p = policy([rule({ tool: 'shell.*', input_pattern: 'rm\\s+-rf', action: 'block', reason: 'destructive command' })], 'allow');
    // 64 Ki of 9e20 re-serialises to over 270 Ki characters, which pushed the command past the old 64 Ki cut.
    const frameText = `{"!":[${Array.from({ length: 13000 }, () => '9e20').join(',')}],"cmd":"rm -rf /srv/prod"}`;
    expect(frameText.length).toBeLessThan(64 * 1024);
    const match = matchRules(p, { kind: 'tool', tool: 'shell.exec', input: JSON.parse(frameText) });
    expect(match).toMatchObject({ action: 'block', reason: 'destructive command' });
  });

  it('sees the end of an input near the frame limit', () => {
    const p = policy([rule({ input_pattern: 'rm\\s+-rf', action: 'block' })], 'allow');
    const input = { a: 'x'.repeat(40000), b: Array.from({ length: 2000 }, (_, i) => `line ${i}`), z: { deep: ['rm -rf /'] } };
    expect(JSON.stringify(input).length).toBeGreaterThan(60000);
    expect(matchRules(p, { kind: 'tool', tool: 'shell.exec', input }).action).toBe('block');
  });

  it('refuses, never allows, an input whose texts are over the limit (review: a block in block mode)', () => {
    const p = policy([rule({ input_pattern: 'NEEDLE', action: 'block' })], 'allow');
    const big = { a: 'x'.repeat(MAX_INPUT_TEXT_CHARS), z: 'y' };
    expect(matchRules(p, { kind: 'llm', input: big })).toEqual({
      action: 'review',
      reason: `input not evaluated: its keys and values are over ${MAX_INPUT_TEXT_CHARS} characters`,
      rule: null,
      timeoutDecision: 'block',
    });
    // A rule without a pattern decides without looking at the input.
    const byTool = policy([rule({ tool: 'fs.read', action: 'allow' }), rule({ input_pattern: 'NEEDLE', action: 'block' })], 'block');
    expect(matchRules(byTool, { kind: 'tool', tool: 'fs.read', input: big }).action).toBe('allow');
  });

  it('refuses an input when one test would cost more than the bound, before starting it', () => {
    const heavy = '(?s).{0,900}Q';
    const size = RE2JS.compile(heavy).programSize() + 16;
    const p = policy([rule({ input_pattern: heavy, action: 'block' })], 'allow');
    const fits = 'x'.repeat(Math.floor(MAX_TEST_WORK / size) - 1);
    expect(matchRules(p, { kind: 'llm', input: fits }).action).toBe('allow');
    expect(matchRules(p, { kind: 'llm', input: `${fits}xx` })).toMatchObject({ action: 'review', rule: null, timeoutDecision: 'block' });
    expect(matchRules(p, { kind: 'llm', input: `${fits}xx` }).reason).toMatch(/^input not evaluated: a value of \d+ characters is too long for rule 0's input_pattern$/);
  });

  it('refuses an input whose tests run past the time budget, reading the clock only once there is work to time', () => {
    let reads = 0;
    const now = () => ++reads * 10;
    const p = policy([rule({ input_pattern: 'nope', action: 'block' }), rule({ input_pattern: 'never', action: 'block' })], 'allow');
    // Each text costs over MATCH_CLOCK_EVERY_WORK to test, so the clock is read after every test.
    const long = { a: 'a'.repeat(5000), b: 'b'.repeat(5000), c: 'c'.repeat(5000) };
    expect(matchRules(p, { kind: 'llm', input: long }, { now, budgetMs: 1000 }).action).toBe('allow');
    expect(reads).toBe(1 + 6);
    reads = 0;
    expect(matchRules(p, { kind: 'llm', input: long }, { now, budgetMs: 45 })).toEqual({
      action: 'review',
      reason: 'input not evaluated: testing the rules took over 45 ms',
      rule: null,
      timeoutDecision: 'block',
    });
    // A match found by the test that ran past the budget still stands: it is an answer.
    reads = 0;
    const found = policy([rule({ input_pattern: '^1', action: 'block' })], 'allow');
    expect(matchRules(found, { kind: 'llm', input: [`1${'x'.repeat(5000)}`] }, { now, budgetMs: 5 }).action).toBe('block');
    // A typical event never reads the clock.
    reads = 0;
    expect(matchRules(p, { kind: 'tool', tool: 'shell.exec', input: { cmd: 'ls -la /tmp', cwd: '/srv' } }, { now, budgetMs: 0 }).action).toBe('allow');
    expect(reads).toBe(0);
  });

  it('fails closed on a stored pattern that does not compile: it matches if it blocks or reviews, never if it allows', () => {
    const broken = [rule({ input_pattern: '(a)\\1', action: 'allow' }), rule({ tool: 'shell.*', input_pattern: 'rm(?= -rf)', action: 'block' })];
    const p = policy(broken, 'allow');
    expect(p.rules.map((r) => r.patternError !== null)).toEqual([true, true]);
    expect(matchRules(p, { kind: 'tool', tool: 'shell.exec', input: { cmd: 'ls' } })).toMatchObject({
      action: 'block',
      reason: "rule 1's input_pattern cannot be evaluated, so it is taken to match",
      rule: { position: 1 },
    });
    // Its other fields still apply.
    expect(matchRules(p, { kind: 'tool', tool: 'fs.read', input: { cmd: 'aa' } })).toEqual({ action: 'allow', reason: 'default action', rule: null });
  });

  it('compiles globs and patterns once, when the policy is compiled', () => {
    const p = policy([rule({ tool: 'shell.*', input_pattern: 'rm', action: 'block' })]);
    expect(p.rules[0].toolMatcher).toBeInstanceOf(ToolGlob);
    expect(p.rules[0].inputMatcher).toBeInstanceOf(RE2JS);
    const { toolMatcher, inputMatcher } = p.rules[0];
    matchRules(p, { kind: 'tool', tool: 'shell.exec', input: 'rm' });
    expect(p.rules[0].toolMatcher).toBe(toolMatcher);
    expect(p.rules[0].inputMatcher).toBe(inputMatcher);
  });

  it('orders rules by position when compiling', () => {
    const p = compilePolicy(
      { projectId: 'p', mode: 'hitl', defaultAction: 'allow', timeoutDecision: 'block', reviewTimeoutSeconds: 300, reviewMaxTimeoutSeconds: 86400 },
      [rule({ action: 'block', position: 1 }), rule({ action: 'review', position: 0 })],
    );
    expect(matchRules(p, { kind: 'llm' }).action).toBe('review');
  });
});
