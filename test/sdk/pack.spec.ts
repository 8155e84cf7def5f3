import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/infra/database/project-root.js';
import { waitFor } from '../support/fixtures.js';
import { type SessionsWorld, sessionsWorld } from '../sessions/support.js';

/**
 * @arbiter-ai/sdk as a user gets it: `npm pack` of sdk/typescript, installed into an empty project outside this
 * repository (nothing of ours in reach: no @types/node, no DOM types, no repo node_modules), a TypeScript program
 * compiled --strict against the package's own .d.ts, then run with node against a live server: allow, block, and an
 * action approved by a person through the REST API while the program waits. The program must exit 0 by itself.
 */

const run = promisify(execFile);
const root = projectRoot();
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** npm's own variables (npx sets them for Jest) would point npm at this repository; the child gets none of them. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^npm_/i.test(name) && name !== 'NODE_OPTIONS') env[name] = value;
  return { ...env, ...extra };
}

const MAIN_TS = `
import { ArbiterBlockedError, ArbiterClient, type Verdict } from '@arbiter-ai/sdk';
import { eventInputSha256 } from '@arbiter-ai/sdk/canonical';

// No @types/node here on purpose: the package's types must not need it.
declare const process: { env: Record<string, string | undefined> };
declare const console: { log(text: string): void };
const report = (what: string, value: unknown) => console.log(JSON.stringify({ what, value }));

await using arbiter = await ArbiterClient.connect({
  url: process.env.ARBITER_URL!,
  apiKey: process.env.ARBITER_KEY!,
  sessionId: 'packed-agent',
  onPending: (eventId: string, reviewId: string) => report('pending', { eventId, reviewId }),
});

const read = { kind: 'tool' as const, tool: 'fs.read', input: { path: '/tmp/notes.txt' } };
const allowed: Verdict = await arbiter.decide(read, { timeoutMs: 20_000 });
report('decide', { decision: allowed.decision, source: allowed.source, hashed: allowed.input_sha256 === eventInputSha256(read) });

try {
  await arbiter.guard({ kind: 'tool', tool: 'net.fetch', input: { url: 'https://example.com' } }, () => report('ran', 'net.fetch'));
} catch (err) {
  if (!(err instanceof ArbiterBlockedError)) throw err;
  report('blocked', { source: err.source, reason: err.reason });
}

const exec = arbiter.wrap('shell.exec', async (input: { cmd: string }) => 'ran ' + input.cmd, { timeoutMs: 120_000 });
report('wrapped', await exec({ cmd: 'rm -rf /var/data' }));
`;

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    target: 'ES2023',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    // The standard library only (and `await using`'s types): no DOM, no @types of any kind.
    lib: ['ES2023', 'esnext.disposable'],
    types: [],
    skipLibCheck: false,
  },
  files: ['main.ts'],
};

let w: SessionsWorld;
let work: string;
let program: ChildProcess | undefined;

beforeAll(async () => {
  w = await sessionsWorld('hitl');
  // Under the system's temporary folder, so no node_modules of this repository is above it.
  work = mkdtempSync(path.join(os.tmpdir(), 'arbiter-sdk-pack-'));
});

afterAll(async () => {
  program?.kill('SIGKILL');
  await w?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

it('packs, installs into an empty project, type-checks without @types/node, and runs allow, block and a review to a clean exit', async () => {
  // The package: built by the test run's global setup (scripts/build.mjs), so its prepack's build is skipped here.
  const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: path.join(root, 'sdk', 'typescript'), env: cleanEnv() });
  const [manifest] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  const files = manifest.files.map((f) => f.path);
  expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/canonical.js', 'dist/canonical.d.ts']));
  expect(files.filter((f) => !f.startsWith('dist/') && f !== 'package.json' && f !== 'README.md')).toEqual([]);
  expect(files.filter((f) => f.endsWith('.tsbuildinfo') || f.endsWith('.ts') !== f.endsWith('.d.ts'))).toEqual([]);

  const app = path.join(work, 'agent');
  await run('mkdir', [app]);
  await run('npm', ['init', '-y'], { cwd: app, env: cleanEnv() });
  await run('npm', ['pkg', 'set', 'type=module'], { cwd: app, env: cleanEnv() });
  // Installs are serialised machine-wide (concurrent npm runs share one cache).
  await run('flock', ['/tmp/npm.lock', 'npm', 'install', path.join(work, manifest.filename), '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: app,
    env: cleanEnv(),
  });
  // ws is the one runtime dependency; the frameworks of the integrations are optional peers, not installed.
  expect(readdirSync(path.join(app, 'node_modules')).filter((name) => !name.startsWith('.')).sort()).toEqual(['@arbiter-ai', 'ws']);

  writeFileSync(path.join(app, 'main.ts'), MAIN_TS);
  writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  const compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--strict'], { cwd: app, env: cleanEnv() }).catch((err: { stdout: string }) => err);
  expect(compiled.stdout).toBe('');

  const reports: { what: string; value: unknown }[] = [];
  let stderr = '';
  program = spawn(process.execPath, ['main.js'], { cwd: app, env: cleanEnv({ ARBITER_URL: w.apps[0].url, ARBITER_KEY: w.key }), stdio: ['ignore', 'pipe', 'pipe'] });
  let buffered = '';
  program.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) reports.push(JSON.parse(line));
  });
  program.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => program!.once('exit', (code, signal) => resolve({ code, signal })));

  // A person approves the held action through the REST API while the program waits for it.
  const pending = await waitFor('the program’s action to wait for a reviewer', async () => reports.find((r) => r.what === 'pending'), 60_000, 50);
  const { reviewId } = pending.value as { reviewId: string };
  const decided = await w.http.post(`/api/reviews/${reviewId}/decision`, { decision: 'approve', note: 'data folder only' }, { token: w.adminToken });
  expect(decided.status).toBe(200);

  // No process.exit in the program: it ends because close() (through `await using`) leaves nothing running.
  const exit = await Promise.race([exited, new Promise<'stalled'>((resolve) => setTimeout(() => resolve('stalled'), 30_000).unref())]);
  expect({ exit, stderr }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });
  expect(reports.filter((r) => r.what !== 'pending')).toEqual([
    { what: 'decide', value: { decision: 'allow', source: 'policy', hashed: true } },
    { what: 'blocked', value: { source: 'policy', reason: 'no network' } },
    { what: 'wrapped', value: 'ran rm -rf /var/data' },
  ]);
}, 300_000);
