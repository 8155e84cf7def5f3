import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { waitFor } from '../support/fixtures.js';
import { GATEWAY_CLI, McpWorld, UPSTREAM_FIXTURE, UpstreamLog, freePort, reviewFromProgress, textOf, uniqueLabel } from './support.js';

/**
 * `arbiter-mcp serve`: a Streamable HTTP endpoint in front of a remote MCP server (the fixture over Streamable HTTP),
 * one Arbiter session per MCP session.
 */

let world: McpWorld;
const children: ChildProcess[] = [];
const clients: Client[] = [];
const log = new UpstreamLog();
const label = uniqueLabel('team');
let endpoint: URL;

/** Resolves with the first match of `pattern` in the child's output stream. */
function waitForOutput(stream: NodeJS.ReadableStream, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in: ${seen}`)), 20_000);
    stream.on('data', (chunk) => {
      seen += String(chunk);
      const match = pattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}

beforeAll(async () => {
  world = await McpWorld.create();
  const upstream = spawn(process.execPath, [UPSTREAM_FIXTURE, '--http'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, UPSTREAM_LOG: log.file } });
  children.push(upstream);
  const [, upstreamPort] = await waitForOutput(upstream.stdout!, /listening (\d+)/);
  const port = await freePort();
  const gateway = spawn(
    process.execPath,
    [GATEWAY_CLI, 'serve', '--listen', `127.0.0.1:${port}`, '--upstream', `http://127.0.0.1:${upstreamPort}/mcp`, '--url', world.url, '--session', label, '--name', 'fx', '--progress-every', '0.2'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ARBITER_API_KEY: world.key } },
  );
  children.push(gateway);
  await waitForOutput(gateway.stderr!, /serving MCP on/);
  endpoint = new URL(`http://127.0.0.1:${port}/mcp`);
});
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  for (const child of children) {
    if (child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  }
  await world?.close();
});

async function connect(): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(endpoint);
  const client = new Client({ name: 'serve-test', version: '0.0.1' });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

it('forwards an allowed call, blocks a blocked one before the remote server sees it, and passes resources through', async () => {
  const { client } = await connect();
  const allowed = await client.callTool({ name: 'echo', arguments: { text: 'over http' } });
  expect(textOf(allowed)).toBe('echo done: {"text":"over http"}');
  const blocked = await client.callTool({ name: 'delete_repo', arguments: { repo: 'prod' } });
  expect(blocked.isError).toBe(true);
  expect(textOf(blocked)).toContain('repositories are never deleted by agents');
  expect((await client.readResource({ uri: 'notes://readme' })).contents).toEqual([{ uri: 'notes://readme', mimeType: 'text/plain', text: 'fixture notes: hello' }]);
  expect(log.calls()).toEqual([{ tool: 'echo', args: { text: 'over http' } }]);
});

it('holds a call for a reviewer with progress on the request\'s stream, then forwards it', async () => {
  const { client } = await connect();
  const progress = reviewFromProgress();
  const call = client.callTool({ name: 'write_file', arguments: { path: '/tmp/http.txt', content: 'h' } }, CallToolResultSchema, { onprogress: progress.onprogress });
  const reviewId = await progress.reviewId();
  await world.decide(reviewId, { decision: 'approve' });
  expect((await call).isError).toBeFalsy();
  expect(log.calls('write_file')).toEqual([{ tool: 'write_file', args: { path: '/tmp/http.txt', content: 'h' } }]);
});

it('gives each MCP session its own Arbiter session, labelled <--session>/<MCP session id>', async () => {
  const one = await connect();
  const two = await connect();
  await one.client.callTool({ name: 'echo', arguments: { text: 'one' } });
  await two.client.callTool({ name: 'echo', arguments: { text: 'two' } });
  const sessions = await Promise.all(
    [one, two].map((c) => waitFor('the Arbiter session', async () => world.sessionByLabel(`${label}/${c.transport.sessionId}`).catch(() => undefined), 5000)),
  );
  expect(sessions[0].id).not.toBe(sessions[1].id);
  expect(sessions.map((s) => s.events.map((e: { input: unknown }) => e.input))).toEqual([[{ text: 'one' }], [{ text: 'two' }]]);
});

it('ends its upstream session when the agent ends its MCP session', async () => {
  const { client, transport } = await connect();
  await client.callTool({ name: 'echo', arguments: { text: 'bye' } });
  await transport.terminateSession();
  await waitFor('the upstream session to end', async () => (log.entries().some((e) => (e as { session_ended?: string }).session_ended) ? true : undefined), 5000);
});
