import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { projectRoot } from '../../src/infra/database/project-root.js';
import { McpWorld, UPSTREAM_FIXTURE, UpstreamLog, textOf } from './support.js';

/**
 * @arbiter-ai/mcp as a user gets it: `npm pack` of sdk/typescript and sdk/mcp, both tarballs installed into an empty
 * project outside this repository, and the installed `arbiter-mcp` bin run in front of the fixture server against a
 * started Arbiter by a real MCP client.
 */

const run = promisify(execFile);
const root = projectRoot();

function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !/^npm_/i.test(name) && name !== 'NODE_OPTIONS') env[name] = value;
  return { ...env, ...extra };
}

let world: McpWorld;
let work: string;
let client: Client | undefined;

beforeAll(async () => {
  world = await McpWorld.create();
  work = mkdtempSync(path.join(os.tmpdir(), 'arbiter-mcp-pack-'));
});
afterAll(async () => {
  await client?.close();
  await world?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function pack(dir: string): Promise<{ filename: string; files: string[] }> {
  // Built by the test run's global setup (scripts/build.mjs), so prepack's build is skipped here.
  const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: path.join(root, 'sdk', dir), env: cleanEnv() });
  const [manifest] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  return { filename: path.join(work, manifest.filename), files: manifest.files.map((f) => f.path) };
}

it('packs, installs beside the SDK tarball into an empty project, and its bin gates calls against a live server', async () => {
  const sdk = await pack('typescript');
  const mcp = await pack('mcp');
  expect(mcp.files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/cli.js', 'dist/index.js', 'dist/index.d.ts']));
  expect(mcp.files.filter((f) => !f.startsWith('dist/') && f !== 'package.json' && f !== 'README.md')).toEqual([]);
  expect(mcp.files.filter((f) => f.endsWith('.tsbuildinfo'))).toEqual([]);

  const app = path.join(work, 'agent');
  await run('mkdir', [app]);
  await run('npm', ['init', '-y'], { cwd: app, env: cleanEnv() });
  await run('flock', ['/tmp/npm.lock', 'npm', 'install', sdk.filename, mcp.filename, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, env: cleanEnv() });
  const bin = path.join(app, 'node_modules', '.bin', 'arbiter-mcp');
  accessSync(bin, constants.X_OK);

  const log = new UpstreamLog();
  const transport = new StdioClientTransport({
    command: bin,
    args: ['--url', world.url, '--api-key-env', 'MY_ARBITER_KEY', '--session', 'packed-gateway', '--name', 'fx', '--', process.execPath, UPSTREAM_FIXTURE],
    cwd: app,
    env: cleanEnv({ MY_ARBITER_KEY: world.key, UPSTREAM_LOG: log.file }),
    stderr: 'pipe',
  });
  client = new Client({ name: 'pack-test', version: '0.0.1' });
  await client.connect(transport);
  expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'packed' } }))).toBe('echo done: {"text":"packed"}');
  const blocked = await client.callTool({ name: 'delete_repo', arguments: { repo: 'prod' } });
  expect(blocked.isError).toBe(true);
  expect(log.calls()).toEqual([{ tool: 'echo', args: { text: 'packed' } }]);
}, 300_000);
