import { bashScript, expectationPattern, mismatch, outputsByStep, walkthroughSteps } from './walkthrough-script.js';

const README = [
  'Text.',
  '```sh',
  'echo not part of it',
  '```',
  '```sh walkthrough',
  'A=1',
  'echo "a=$A"',
  '# → a=…',
  '# comment only',
  'echo "$A" | tr 1 2',
  '# → 2',
  'B=3',
  '```',
  '```js walkthrough agent.mjs',
  "console.log('hi');",
  '```',
].join('\n');

describe("the README walk-through's parser", () => {
  it('takes only blocks marked walkthrough, splits shell after each run of # → lines, and keeps file blocks in order', () => {
    const steps = walkthroughSteps(README);
    expect(steps).toEqual([
      { kind: 'shell', line: 6, code: 'A=1\necho "a=$A"', expected: ['a=…'] },
      { kind: 'shell', line: 9, code: '# comment only\necho "$A" | tr 1 2', expected: ['2'] },
      { kind: 'shell', line: 12, code: 'B=3', expected: [] },
      { kind: 'file', line: 15, name: 'agent.mjs', content: "console.log('hi');\n" },
    ]);
  });

  it('refuses a walkthrough block of another language without a file name', () => {
    expect(() => walkthroughSteps('```js walkthrough\nx\n```')).toThrow(/file name/);
  });

  it('reads … as any text and everything else literally', () => {
    expect(expectationPattern('{"a":…,"b":[1]} 200').test('{"a":{"x":"y"},"b":[1]} 200')).toBe(true);
    expect(expectationPattern('{"a":…,"b":[1]} 200').test('{"a":1,"b":[1]} 201')).toBe(false);
    expect(expectationPattern('a.c').test('abc')).toBe(false);
    expect(expectationPattern('x').test('xx')).toBe(false);
  });

  it('wants every printed line stated, and nothing printed where nothing is stated', () => {
    const step = { kind: 'shell' as const, line: 1, code: 'echo', expected: ['one', 't…'] };
    expect(mismatch(step, 'one\ntwo\n')).toBeUndefined();
    expect(mismatch(step, 'one\n')).toMatch(/printed 1 line/);
    expect(mismatch(step, 'one\nzwei\n')).toMatch(/line 2 does not match/);
    expect(mismatch({ ...step, expected: [] }, 'surprise')).toMatch(/printed 1 line/);
  });

  it('tells apart what each step printed, and leaves out a step that never finished', () => {
    const steps = walkthroughSteps(README);
    const script = bashScript(steps, 'n0nce');
    expect(script.startsWith('set -euo pipefail\n')).toBe(true);
    expect(script).toContain("cat > 'agent.mjs' <<'ARBITER_WALKTHROUGH_n0nce'\nconsole.log('hi');\nARBITER_WALKTHROUGH_n0nce\n");
    const stdout = 'a=1\n@@n0nce:0@@\n2\n\n@@n0nce:1@@\n\n@@n0nce:2@@\npartial';
    expect(outputsByStep(stdout, steps, 'n0nce')).toEqual(['a=1', '2\n', '']);
  });
});
