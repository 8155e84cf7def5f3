import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { waitFor } from '../support/fixtures.js';
import { type GatewayRun, McpWorld, reviewFromProgress, stdioGateway, textOf } from './support.js';

/**
 * arbiter-mcp in front of a real third-party server, @modelcontextprotocol/server-filesystem, on a temporary folder:
 * the folder itself shows what the server did. Its write_file is reviewed (the test project's fx.write_file rule).
 */

const require = createRequire(import.meta.url);
const serverEntry = require.resolve('@modelcontextprotocol/server-filesystem/dist/index.js');
let world: McpWorld;
let gw: GatewayRun;
let dir: string;

beforeAll(async () => {
  world = await McpWorld.create();
  dir = mkdtempSync(path.join(os.tmpdir(), 'arbiter-mcp-fs-'));
  writeFileSync(path.join(dir, 'notes.txt'), 'hello from disk');
  gw = await stdioGateway(world, { upstream: [process.execPath, serverEntry, dir] });
});
afterAll(async () => {
  await gw?.close();
  await world?.close();
});

it('reads a file through the gateway (allowed by default)', async () => {
  const result = await gw.client.callTool({ name: 'read_text_file', arguments: { path: path.join(dir, 'notes.txt') } });
  expect(result.isError).toBeFalsy();
  expect(textOf(result)).toContain('hello from disk');
});

it('writes nothing when the reviewer denies write_file, and writes once approved', async () => {
  const denied = reviewFromProgress();
  const target = path.join(dir, 'out.txt');
  const first = gw.client.callTool({ name: 'write_file', arguments: { path: target, content: 'denied' } }, CallToolResultSchema, { onprogress: denied.onprogress });
  await world.decide(await denied.reviewId(), { decision: 'deny', note: 'no' });
  expect((await first).isError).toBe(true);
  expect(existsSync(target)).toBe(false);

  const approved = reviewFromProgress();
  const second = gw.client.callTool({ name: 'write_file', arguments: { path: target, content: 'approved' } }, CallToolResultSchema, { onprogress: approved.onprogress });
  await world.decide(await approved.reviewId(), { decision: 'approve' });
  expect((await second).isError).toBeFalsy();
  expect(readFileSync(target, 'utf8')).toBe('approved');
});

it('reports the real server in the session inventory', async () => {
  await gw.client.listTools();
  // The report is sent beside the answer, not before it.
  const session = await waitFor('the inventory', async () => {
    const s = await world.sessionByLabel(gw.label);
    return s.inventory ? s : undefined;
  }, 5000);
  expect(session.inventory.server.name).toBe('secure-filesystem-server');
  expect(session.inventory.tools.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['fx.read_text_file', 'fx.write_file', 'fx.list_directory']));
});
