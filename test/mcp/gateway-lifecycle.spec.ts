import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { waitFor } from '../support/fixtures.js';
import { GATEWAY_CLI, McpWorld, UPSTREAM_FIXTURE, UpstreamLog, freePort, reviewFromProgress, stdioGateway, textOf } from './support.js';

/** arbiter-mcp's life around its agent and Arbiter: restarts, Arbiter down, the agent going away. */

let world: McpWorld;

beforeAll(async () => {
  world = await McpWorld.create();
});
afterAll(async () => {
  await world?.close();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('exits when its agent closes stdin, leaving no child behind', async () => {
  const log = new UpstreamLog();
  const gateway = spawn(process.execPath, [GATEWAY_CLI, '--url', world.url, '--name', 'fx', '--', process.execPath, UPSTREAM_FIXTURE], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ARBITER_API_KEY: world.key, UPSTREAM_LOG: log.file },
  });
  const exited = once(gateway, 'exit');
  const child = await log.childPid();
  expect(alive(child)).toBe(true);
  gateway.stdin.end();
  const [code] = await exited;
  expect(code).toBe(0);
  // The child is stopped before the gateway exits (stdin closed, then SIGTERM after 2 s): gone within a few seconds.
  await waitFor('the upstream child to be gone', async () => (alive(child) ? undefined : true), 8000);
});

it('survives an Arbiter restart: a call waiting for a reviewer is resent, decided once and forwarded once', async () => {
  const gw = await stdioGateway(world);
  try {
    const progress = reviewFromProgress();
    const call = gw.client.callTool({ name: 'write_file', arguments: { path: '/tmp/restart.txt', content: 'r' } }, CallToolResultSchema, { onprogress: progress.onprogress });
    const reviewId = await progress.reviewId();
    await world.stop();
    await world.start();
    await world.decide(reviewId, { decision: 'approve', note: 'after the restart' });
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(gw.log.calls('write_file')).toEqual([{ tool: 'write_file', args: { path: '/tmp/restart.txt', content: 'r' } }]);
    // One event, one verdict, for the resent call.
    const session = await world.sessionByLabel(gw.label);
    const writes = (session.events as Array<{ tool: string; verdict: { decision: string } | null }>).filter((e) => e.tool === 'fx.write_file');
    expect(writes).toHaveLength(1);
    expect(writes[0].verdict).toMatchObject({ decision: 'allow', source: 'review' });
    // And it goes on deciding.
    const echo = await gw.client.callTool({ name: 'echo', arguments: { text: 'still here' } });
    expect(textOf(echo)).toBe('echo done: {"text":"still here"}');
  } finally {
    await gw.close();
  }
});

describe('Arbiter unreachable', () => {
  it('refuses calls with a clear error (fail closed); the server never sees them, resources still work', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const gw = await stdioGateway(world, { url: nobody });
    try {
      const result = await gw.client.callTool({ name: 'echo', arguments: { text: 'x' } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('Arbiter is unreachable');
      expect(textOf(result)).toContain('calls are refused until it is back');
      expect(gw.log.calls()).toEqual([]);
      expect((await gw.client.readResource({ uri: 'notes://readme' })).contents).toHaveLength(1);
    } finally {
      await gw.close();
    }
  });

  it('forwards calls with --fail-open', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const gw = await stdioGateway(world, { url: nobody, flags: ['--fail-open'] });
    try {
      const result = await gw.client.callTool({ name: 'echo', arguments: { text: 'open' } });
      expect(result.isError).toBeFalsy();
      expect(gw.log.calls('echo')).toEqual([{ tool: 'echo', args: { text: 'open' } }]);
    } finally {
      await gw.close();
    }
  });
});

it('refuses an API key on the command line, where ps shows it', async () => {
  const gateway = spawn(process.execPath, [GATEWAY_CLI, '--url', world.url, '--api-key', 'arb_x', '--', 'true'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  gateway.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const [code] = await once(gateway, 'exit');
  expect(code).toBe(2);
  expect(stderr).toContain('--api-key is not accepted');
});

it('exits non-zero, saying so, when the upstream server exits by itself', async () => {
  const gateway = spawn(process.execPath, [GATEWAY_CLI, '--url', world.url, '--', process.execPath, '-e', 'process.exit(3)'], {
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, ARBITER_API_KEY: world.key },
  });
  let stderr = '';
  gateway.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const [code] = await once(gateway, 'exit');
  expect(code).toBe(1);
  expect(stderr).toContain('the upstream server closed the connection');
});
