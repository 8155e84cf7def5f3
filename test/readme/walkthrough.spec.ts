import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/infra/database/project-root.js';
import { ArbiterProcess, LOG_DIR, killAll } from '../topology/arbiter-process.js';
import { type Step, bashScript, mismatch, outputsByStep, walkthroughSteps } from './walkthrough-script.js';

/**
 * README.md's walk-through, run as a reader runs it: its `walkthrough` blocks in order, in bash, against a freshly
 * started `node dist/src/main.js` on the embedded default (no DATABASE_URL, a new data folder, no preset admin), with
 * the server's log in ./arbiter.log. Every `# →` line is checked against what its command printed.
 */

const BUILD_MS = 180_000;
const START_MS = 120_000;
const RUN_MS = 180_000;

/** What the walk-through must keep showing, so that it cannot quietly shrink: [what, text of some `# →` line]. */
const REQUIRED: [string, string][] = [
  ['the first sign-in', '"must_change_password":true'],
  ['the refusal before the password change', 'password_change_required'],
  ['an approval', '"status":"approved"'],
  ['a denial', '"status":"denied"'],
  ['the agent program exiting 0', 'agent exited with 0'],
  ['a share link', '/s/'],
  ['opening the share link', '"remaining_views":4'],
];

let work: string;
let server: ArbiterProcess;
let failed = false;

beforeAll(async () => {
  for (const tool of ['bash', 'curl']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not installed: the README's walk-through needs it`);
  }
  work = mkdtempSync(path.join(os.tmpdir(), 'arbiter-readme-'));
  // Reachable by the `postgres` user, so that as root the embedded cluster stays in here (from a private folder it
  // would live under /var/lib/arbiter, and outlive this test).
  chmodSync(work, 0o755);
  // The reader runs agent.mjs in the Arbiter folder, where npm links `@arbiter-ai/sdk` (the workspace sdk/typescript)
  // into node_modules; from here the same package is found through a node_modules of this folder.
  mkdirSync(path.join(work, 'node_modules', '@arbiter-ai'), { recursive: true });
  symlinkSync(path.join(projectRoot(), 'sdk', 'typescript'), path.join(work, 'node_modules', '@arbiter-ai', 'sdk'));
  server = await ArbiterProcess.start({
    name: 'readme',
    databaseUrl: '',
    // Empty counts as unset: the defaults a reader gets (generated admin password, PUBLIC_URL, log level).
    env: { ARBITER_DATA_DIR: path.join(work, 'data'), ARBITER_ADMIN_EMAIL: '', ARBITER_ADMIN_PASSWORD: '', PUBLIC_URL: '', LOG_LEVEL: '', ARBITER_WEBHOOK_ALLOW_PRIVATE: '' },
  });
  symlinkSync(server.logFile, path.join(work, 'arbiter.log'));
}, BUILD_MS + START_MS);

afterAll(async () => {
  // SIGTERM: the server stops its embedded PostgreSQL (which runs in a process group of its own) before it exits;
  // SIGKILL, killAll's, would leave that running.
  if (server) {
    const exit = await server.stop('SIGTERM');
    if (exit.signal === 'SIGKILL') process.stderr.write(`\nthe server did not stop on SIGTERM; its PostgreSQL may still run\n`);
  }
  await killAll();
  if (failed) process.stderr.write(`\nthe walk-through's folder is kept: ${work}\n`);
  else {
    if (work) rmSync(work, { recursive: true, force: true });
    if (server) rmSync(server.logFile, { force: true });
    try {
      rmdirSync(LOG_DIR);
    } catch {
      // Not empty: another suite of this worker keeps its logs there.
    }
  }
}, 60_000);

interface BashRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs the script in its own process group, so that the agent it starts in the background ends with it. */
function runBash(script: string, env: Record<string, string>, timeoutMs: number): Promise<BashRun> {
  const file = path.join(work, 'walkthrough.sh');
  writeFileSync(file, script);
  return new Promise((resolve) => {
    const child = spawn('bash', [file], { cwd: work, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    // Decoded as a stream, so a character split across two chunks stays whole.
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.once('exit', killGroup);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

function tailOf(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function describeFailure(step: Step, printed: string, run: BashRun, problem: string): string {
  const parts = [problem, `--- the step (README line ${step.line}) ---`, step.kind === 'shell' ? step.code : `(writes ${step.name})`];
  if (step.kind === 'shell' && step.expected.length > 0) parts.push('--- the README states ---', ...step.expected.map((l) => `# → ${l}`));
  parts.push('--- it printed ---', printed, "--- bash's stderr ---", tailOf(run.stderr));
  const agentLog = path.join(work, 'agent.log');
  if (existsSync(agentLog)) parts.push('--- agent.log ---', tailOf(readFileSync(agentLog, 'utf8')));
  parts.push(server.tail());
  return parts.join('\n');
}

test(
  "README.md's walk-through runs as written, from the first sign-in to a denial, a share link and the agent exiting 0",
  async () => {
    const steps = walkthroughSteps(readFileSync(path.join(projectRoot(), 'README.md'), 'utf8'));
    const stated = steps.flatMap((s) => (s.kind === 'shell' ? s.expected : []));
    for (const [what, text] of REQUIRED) {
      if (!stated.some((line) => line.includes(text))) throw new Error(`the walk-through no longer shows ${what} (no "# →" line with ${text})`);
    }
    expect(steps.some((s) => s.kind === 'file')).toBe(true);

    const nonce = randomBytes(6).toString('hex');
    const run = await runBash(bashScript(steps, nonce), { PATH: process.env.PATH ?? '', HOME: work, ARBITER_URL: `http://localhost:${server.port}` }, RUN_MS - 10_000);
    const outputs = outputsByStep(run.stdout, steps, nonce);
    try {
      steps.forEach((step, i) => {
        if (i >= outputs.length || step.kind !== 'shell') return;
        const why = mismatch(step, outputs[i]);
        if (why) throw new Error(describeFailure(step, outputs[i], run, `step ${i + 1} of ${steps.length} printed something else: ${why}`));
      });
      if (outputs.length < steps.length || run.code !== 0) {
        // What the unfinished step printed is whatever follows the last marker.
        const last = run.stdout.lastIndexOf(`@@${nonce}:`);
        const printed = tailOf(last < 0 ? run.stdout : run.stdout.slice(last).replace(/^[^\n]*\n/, ''));
        const why = run.timedOut ? `did not finish within ${RUN_MS - 10_000} ms` : `stopped (bash exit ${run.code ?? run.signal})`;
        throw new Error(describeFailure(steps[Math.min(outputs.length, steps.length - 1)], printed, run, `the walk-through ${why} in step ${outputs.length + 1} of ${steps.length}`));
      }
    } catch (err) {
      failed = true;
      throw err;
    }
    expect(outputs).toHaveLength(steps.length);
  },
  RUN_MS,
);
