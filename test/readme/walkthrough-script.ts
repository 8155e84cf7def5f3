/**
 * The README's walk-through as a script: its fenced blocks marked `walkthrough`, in order, exactly as a reader copies
 * them. ```` ```sh walkthrough ```` blocks run in one bash; ```` ```js walkthrough agent.mjs ```` blocks are saved
 * under that name at that point. In a shell block, `# → …` lines state what the command before them prints, one
 * line each, `…` standing for any text; everything a block prints must be stated so.
 */

/** Shell text up to (and including) the `# →` lines stating its output. */
export interface ShellStep {
  kind: 'shell';
  /** 1-based line in the README where the step's text starts. */
  line: number;
  code: string;
  /** The `# →` lines without their prefix; empty means the step prints nothing. */
  expected: string[];
}

export interface FileStep {
  kind: 'file';
  line: number;
  name: string;
  content: string;
}

export type Step = ShellStep | FileStep;

const FENCE = /^```(.*)$/;
const EXPECTED = /^# → ?(.*)$/;

/** The walk-through's steps, in README order. Throws on a marked block it cannot use. */
export function walkthroughSteps(markdown: string): Step[] {
  const lines = markdown.split('\n');
  const steps: Step[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const info = open[1].trim().split(/\s+/);
    let end = i + 1;
    while (end < lines.length && lines[end].trimEnd() !== '```') end++;
    if (end === lines.length) throw new Error(`README line ${i + 1}: the block is never closed`);
    const body = lines.slice(i + 1, end);
    if (info[1] === 'walkthrough') {
      if (info[0] === 'sh') steps.push(...shellSteps(body, i + 2));
      else if (info[2] && /^[\w.-]+$/.test(info[2])) steps.push({ kind: 'file', line: i + 2, name: info[2], content: body.join('\n') + '\n' });
      else throw new Error(`README line ${i + 1}: a walkthrough block is \`sh walkthrough\` or \`<lang> walkthrough <file name>\`, not \`${open[1]}\``);
    }
    i = end;
  }
  return steps;
}

/** Splits a shell block after each run of `# →` lines. */
function shellSteps(body: string[], firstLine: number): ShellStep[] {
  const steps: ShellStep[] = [];
  let code: string[] = [];
  let expected: string[] = [];
  let start = firstLine;
  const flush = (next: number) => {
    if (code.some((l) => l.trim() !== '' && !l.trimStart().startsWith('#')) || expected.length > 0) {
      steps.push({ kind: 'shell', line: start, code: code.join('\n'), expected });
    }
    code = [];
    expected = [];
    start = next;
  };
  body.forEach((text, n) => {
    const stated = EXPECTED.exec(text);
    if (stated) expected.push(stated[1]);
    else {
      if (expected.length > 0) flush(firstLine + n);
      code.push(text);
    }
  });
  flush(firstLine + body.length);
  return steps;
}

/** A `# →` line as a whole-line pattern: `…` is any text, everything else literal. */
export function expectationPattern(stated: string): RegExp {
  const parts = stated.split('…').map((part) => part.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 's');
}

/** Why `printed` is not what the step states, or undefined when it is. */
export function mismatch(step: ShellStep, printed: string): string | undefined {
  const actual = printed.replace(/\n+$/, '');
  const lines = actual === '' ? [] : actual.split('\n');
  if (lines.length !== step.expected.length) {
    return `it printed ${lines.length} line(s), the README states ${step.expected.length}`;
  }
  for (let i = 0; i < lines.length; i++) {
    if (!expectationPattern(step.expected[i]).test(lines[i])) return `line ${i + 1} does not match "# → ${step.expected[i]}"`;
  }
  return undefined;
}

/** `@@<nonce>:<step>@@`, printed on a line of its own after each step, so output can be told apart per step. */
function marker(nonce: string, step: number): string {
  return `@@${nonce}:${step}@@`;
}

/**
 * One bash script running the steps in order (with `set -euo pipefail`, so a failing command stops it), a marker
 * printed after each step, and each file step written where it stands.
 */
export function bashScript(steps: Step[], nonce: string): string {
  const out = ['set -euo pipefail'];
  steps.forEach((step, i) => {
    out.push(`# README line ${step.line}`);
    if (step.kind === 'shell') out.push(step.code);
    else {
      const eof = `ARBITER_WALKTHROUGH_${nonce}`;
      if (step.content.includes(eof)) throw new Error(`README line ${step.line}: the block contains ${eof}`);
      out.push(`cat > '${step.name}' <<'${eof}'`, step.content.replace(/\n$/, ''), eof);
    }
    out.push(`printf '\\n%s\\n' '${marker(nonce, i)}'`);
  });
  return out.join('\n') + '\n';
}

/** What each step printed, from the script's stdout; a step the script never finished is left out. */
export function outputsByStep(stdout: string, steps: Step[], nonce: string): string[] {
  const outputs: string[] = [];
  let from = 0;
  for (let i = 0; i < steps.length; i++) {
    const mark = `\n${marker(nonce, i)}\n`;
    const at = stdout.indexOf(mark, from);
    if (at < 0) break;
    outputs.push(stdout.slice(from, at));
    from = at + mark.length;
  }
  return outputs;
}
