import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/infra/database/project-root.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';

/**
 * The Python SDK (sdk/python) as a user gets it: a fresh venv of Debian's Python (its python3-websockets, -pytest and
 * -pytest-asyncio seen through --system-site-packages), `pip install --no-build-isolation --no-index` (offline), then
 * its pytest suite, which starts one `node dist/src/main.js` on a database of this file's own and runs the shared
 * conformance scenarios, the canonical-hash checks, the clients' tests and the README's example. Fails when pytest does.
 */

const PYTHON = process.env.ARBITER_PYTHON ?? '/usr/bin/python3';
const root = projectRoot();
let work: string;
let venvPython: string;
let db: TestDatabase;

interface Run {
  code: number | null;
  output: string;
}

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

beforeAll(async () => {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install Debian's python3, python3-venv, python3-websockets, python3-pytest and python3-pytest-asyncio (.ci/run does)`);
  work = mkdtempSync(path.join(os.tmpdir(), 'arbiter-python-sdk-'));
  const venv = path.join(work, 'venv');
  const made = spawnSync(PYTHON, ['-m', 'venv', '--system-site-packages', venv], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`making the venv failed: ${made.stdout}${made.stderr}`);
  venvPython = path.join(venv, 'bin', 'python');
  // pip builds in the folder it installs from: a copy keeps build/ and *.egg-info out of the working tree.
  const source = path.join(work, 'arbiter-sdk');
  cpSync(path.join(root, 'sdk', 'python'), source, { recursive: true, filter: (p) => !/(^|\/)(build|__pycache__|\.pytest_cache|[^/]*\.egg-info)$/.test(p) });
  const installed = await run(venvPython, ['-m', 'pip', 'install', '--no-build-isolation', '--no-index', '--disable-pip-version-check', source], { cwd: work, timeoutMs: 120_000 });
  if (installed.code !== 0) throw new Error(`pip install --no-index sdk/python failed (exit ${installed.code}):\n${installed.output}`);
  db = await createTestDatabase();
}, 240_000);

afterAll(async () => {
  await db?.drop();
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('the Python SDK', () => {
  it('passes its pytest suite: the conformance scenarios, the canonical hash, the clients and the README example', async () => {
    const result = await run(venvPython, ['-m', 'pytest', '-p', 'no:cacheprovider', '-q', '-rfE', 'tests'], {
      cwd: path.join(root, 'sdk', 'python'),
      env: { ...process.env, ARBITER_TEST_DATABASE_URL: db.url, ARBITER_REPO_ROOT: root, PYTHONDONTWRITEBYTECODE: '1' },
      timeoutMs: 540_000,
    });
    if (result.code !== 0) throw new Error(`pytest exited ${result.code}:\n${result.output.slice(-8000)}`);
    // The suite ran, and ran the installed package (not the source folder).
    expect(result.output).toMatch(/\b\d+ passed\b/);
    const where = spawnSync(venvPython, ['-c', 'import arbiter_sdk; print(arbiter_sdk.__file__)'], { cwd: work, encoding: 'utf8' });
    expect(where.stdout).toContain(path.join(work, 'venv'));
  }, 600_000);
});
