import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { waitFor } from '../support/fixtures.js';
import { type GatewayRun, McpWorld, reviewFromProgress, stdioGateway, textOf } from './support.js';

/**
 * arbiter-mcp over stdio, with the real MCP SDK client on one side and an MCP SDK server (the fixture) as its child on
 * the other, against a started Arbiter whose rules allow fx.echo, block fx.write_file under /etc and fx.delete_repo,
 * and send other fx.write_file calls to a reviewer. The fixture logs every call it receives.
 */

let world: McpWorld;
let gw: GatewayRun;

beforeAll(async () => {
  world = await McpWorld.create();
  gw = await stdioGateway(world);
});
afterAll(async () => {
  await gw?.close();
  await world?.close();
});

describe('tools/call through the gateway', () => {
  it('forwards an allowed call and returns the server\'s own result', async () => {
    const result = await gw.client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe('echo done: {"text":"hi"}');
    expect(gw.log.calls('echo')).toEqual([{ tool: 'echo', args: { text: 'hi' } }]);
  });

  it('answers a blocked call with isError and a text saying by what and why; the server never sees it', async () => {
    const result = await gw.client.callTool({ name: 'write_file', arguments: { path: '/etc/passwd', content: 'x' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Blocked by Arbiter: the call to fx\.write_file was not made\. Decided by the project's policy\. Reason: no writes under \/etc$/);
    expect(gw.log.calls('write_file')).toEqual([]);
  });

  it('waits for a reviewer, sending progress while it waits, and forwards the call once approved', async () => {
    const progress = reviewFromProgress();
    const call = gw.client.callTool({ name: 'write_file', arguments: { path: '/tmp/approved.txt', content: 'a' } }, CallToolResultSchema, { onprogress: progress.onprogress });
    const reviewId = await progress.reviewId();
    await waitFor('a second progress notification', async () => (progress.count() >= 2 ? true : undefined), 5000);
    expect(gw.log.calls('write_file')).toEqual([]);
    await world.decide(reviewId, { decision: 'approve', note: 'fine' });
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(gw.log.calls('write_file')).toEqual([{ tool: 'write_file', args: { path: '/tmp/approved.txt', content: 'a' } }]);
  });

  it('answers a denied call with isError naming the reviewer; the server never sees it', async () => {
    const progress = reviewFromProgress();
    const call = gw.client.callTool({ name: 'write_file', arguments: { path: '/tmp/denied.txt', content: 'd' } }, CallToolResultSchema, { onprogress: progress.onprogress });
    const reviewId = await progress.reviewId();
    await world.decide(reviewId, { decision: 'deny', note: 'not that file' });
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`Decided by a human reviewer (review ${reviewId})`);
    expect(textOf(result)).toContain('not that file');
    expect(gw.log.calls('write_file').filter((c) => c.args?.path === '/tmp/denied.txt')).toEqual([]);
  });

  it('forwards the reviewer\'s edited arguments, not the model\'s', async () => {
    const progress = reviewFromProgress();
    const call = gw.client.callTool({ name: 'write_file', arguments: { path: '/tmp/unsafe.txt', content: 'rm -rf' } }, CallToolResultSchema, { onprogress: progress.onprogress });
    const reviewId = await progress.reviewId();
    await world.decide(reviewId, { decision: 'approve', input: { path: '/tmp/safe.txt', content: 'echo ok' }, note: 'safer' });
    const result = await call;
    expect(result.isError).toBeFalsy();
    const writes = gw.log.calls('write_file').map((c) => c.args?.path);
    expect(writes).toContain('/tmp/safe.txt');
    expect(writes).not.toContain('/tmp/unsafe.txt');
  });

  it('withdraws the review when the client cancels the call (notifications/cancelled); the server never sees it', async () => {
    const progress = reviewFromProgress();
    const controller = new AbortController();
    const call = gw.client.callTool({ name: 'write_file', arguments: { path: '/tmp/cancelled.txt', content: 'c' } }, CallToolResultSchema, {
      onprogress: progress.onprogress,
      signal: controller.signal,
    });
    const reviewId = await progress.reviewId();
    controller.abort('the user pressed Esc');
    await expect(call).rejects.toThrow();
    await waitFor('the review to be withdrawn', async () => ((await world.reviewStatus(reviewId)) === 'withdrawn' ? true : undefined), 5000);
    expect(gw.log.calls('write_file').filter((c) => c.args?.path === '/tmp/cancelled.txt')).toEqual([]);
  });
});

describe('everything else passes through untouched', () => {
  it('lists and reads a resource', async () => {
    const { resources } = await gw.client.listResources();
    expect(resources).toEqual([expect.objectContaining({ uri: 'notes://readme', name: 'readme', mimeType: 'text/plain' })]);
    const read = await gw.client.readResource({ uri: 'notes://readme' });
    expect(read.contents).toEqual([{ uri: 'notes://readme', mimeType: 'text/plain', text: 'fixture notes: hello' }]);
  });

  it('lists and gets a prompt', async () => {
    const { prompts } = await gw.client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['greet']);
    const prompt = await gw.client.getPrompt({ name: 'greet', arguments: { who: 'Ada' } });
    expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Say hello to Ada' } }]);
  });

  it('reports the server and its tools to Arbiter: GET /api/sessions/:id shows them', async () => {
    const { tools } = await gw.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['delete_repo', 'echo', 'write_file']);
    const session = await waitFor('the inventory on the session', async () => {
      const s = await world.sessionByLabel(gw.label);
      return s.inventory ? s : undefined;
    }, 5000);
    expect(session.inventory).toEqual({
      server: { name: 'fixture-upstream', version: '1.2.3' },
      tools: expect.arrayContaining([
        { name: 'fx.echo', description: 'Says the text back' },
        { name: 'fx.write_file', description: 'Writes a file' },
        { name: 'fx.delete_repo', description: 'Deletes a repository' },
      ]),
      reported_at: expect.any(String),
    });
    expect(session.inventory.tools).toHaveLength(3);
  });
});

describe('--hide-blocked', () => {
  it('leaves out of tools/list the tools the policy always blocks, and still blocks a call to one', async () => {
    const hidden = await stdioGateway(world, { flags: ['--hide-blocked'] });
    try {
      const { tools } = await hidden.client.listTools();
      // delete_repo is blocked by a rule with no input pattern; write_file only under /etc, so it stays.
      expect(tools.map((t) => t.name).sort()).toEqual(['echo', 'write_file']);
      const result = await hidden.client.callTool({ name: 'delete_repo', arguments: { repo: 'prod' } });
      expect(result.isError).toBe(true);
      expect(hidden.log.calls('delete_repo')).toEqual([]);
    } finally {
      await hidden.close();
    }
  });
});
