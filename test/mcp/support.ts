import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../src/app.factory.js';
import { type ArbiterConfig, loadConfig } from '../../src/infra/config/config.js';
import { TEST_ADMIN } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { createApiKey, createProject, signInAdmin, waitFor } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const GATEWAY_CLI = path.resolve(here, '../../sdk/mcp/dist/cli.js');
export const UPSTREAM_FIXTURE = path.resolve(here, 'fixtures/upstream-server.mjs');

/** The rules every MCP test project has: tool names are `<--name>.<MCP tool>`, here `fx.*`. */
export const FIXTURE_RULES = {
  default_action: 'allow',
  rules: [
    { kind: 'tool', tool: 'fx.delete_repo', action: 'block', reason: 'repositories are never deleted by agents' },
    { kind: 'tool', tool: 'fx.write_file', input_pattern: '^/etc/', action: 'block', reason: 'no writes under /etc' },
    { kind: 'tool', tool: 'fx.write_file', action: 'review', reason: 'writes need a person', timeout_decision: 'block' },
  ],
};

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One Arbiter instance on a fixed port (so it can be stopped and started again at the same address), a project and a key. */
export class McpWorld {
  app: NestExpressApplication | undefined;
  http!: HttpClient;
  adminToken!: string;
  projectId!: string;
  key!: string;

  private constructor(
    readonly db: TestDatabase,
    readonly port: number,
  ) {}

  static async create(): Promise<McpWorld> {
    const world = new McpWorld(await createTestDatabase(), await freePort());
    await world.start();
    world.http = new HttpClient(world.url);
    world.adminToken = (await signInAdmin(world.http)).token;
    world.projectId = (await createProject(world.http, world.adminToken, { mode: 'hitl', review_timeout_seconds: 600 })).id;
    const edits = await world.http.patch(`/api/projects/${world.projectId}`, { allow_edits: true }, { token: world.adminToken });
    if (edits.status !== 200) throw new Error(`allow_edits: ${edits.status} ${JSON.stringify(edits.body)}`);
    const rules = await world.http.put(`/api/projects/${world.projectId}/rules`, FIXTURE_RULES, { token: world.adminToken });
    if (rules.status !== 200) throw new Error(`rules: ${rules.status} ${JSON.stringify(rules.body)}`);
    world.key = (await createApiKey(world.http, world.adminToken, world.projectId, 'mcp-gateway')).key;
    return world;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const config: ArbiterConfig = {
      ...loadConfig({}),
      port: this.port,
      host: '127.0.0.1',
      logLevel: (process.env.ARBITER_TEST_LOG_LEVEL as ArbiterConfig['logLevel']) ?? 'silent',
      adminEmail: TEST_ADMIN.email,
      adminPassword: TEST_ADMIN.password,
      databaseUrl: this.db.url,
    };
    this.app = await createApp(config);
    await this.app.listen(this.port, '127.0.0.1');
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.app = undefined;
  }

  async close(): Promise<void> {
    await this.stop().catch(() => undefined);
    await this.db.drop();
  }

  async decide(reviewId: string, body: Record<string, unknown>): Promise<void> {
    const res = await this.http.post(`/api/reviews/${reviewId}/decision`, body, { token: this.adminToken });
    if (res.status !== 200) throw new Error(`decision: ${res.status} ${JSON.stringify(res.body)}`);
  }

  async reviewStatus(reviewId: string): Promise<string> {
    return (await this.http.get(`/api/reviews/${reviewId}`, { token: this.adminToken })).body.status;
  }

  /** The session (by its label), as GET /api/sessions/:id shows it. */
  async sessionByLabel(label: string): Promise<Record<string, any>> {
    const list = await this.http.get(`/api/sessions?project=${this.projectId}&label=${encodeURIComponent(label)}`, { token: this.adminToken });
    const item = (list.body.items as Array<{ id: string; external_id: string }>).find((s) => s.external_id === label);
    if (!item) throw new Error(`no session ${label}`);
    return (await this.http.get(`/api/sessions/${item.id}`, { token: this.adminToken })).body;
  }
}

/** The upstream fixture's log: what it started as and every call it received. */
export class UpstreamLog {
  readonly file: string;

  constructor() {
    this.file = path.join(mkdtempSync(path.join(os.tmpdir(), 'arbiter-mcp-')), 'upstream.log');
  }

  entries(): Array<{ started?: number; tool?: string; args?: Record<string, unknown> }> {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  }

  calls(tool?: string) {
    return this.entries().filter((e) => e.tool !== undefined && (tool === undefined || e.tool === tool));
  }

  async childPid(): Promise<number> {
    return waitFor('the upstream to start', async () => this.entries().find((e) => e.started)?.started, 10_000);
  }
}

export function uniqueLabel(what: string): string {
  return `${what}-${randomBytes(3).toString('hex')}`;
}

export interface GatewayRun {
  client: Client;
  transport: StdioClientTransport;
  log: UpstreamLog;
  label: string;
  close(): Promise<void>;
}

/** arbiter-mcp in stdio mode in front of the fixture, with a real MCP SDK client on its stdio. */
export async function stdioGateway(world: McpWorld, options: { flags?: string[]; url?: string; upstream?: string[]; label?: string } = {}): Promise<GatewayRun> {
  const log = new UpstreamLog();
  const label = options.label ?? uniqueLabel('mcp');
  const upstream = options.upstream ?? [process.execPath, UPSTREAM_FIXTURE];
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [GATEWAY_CLI, '--url', options.url ?? world.url, '--api-key-env', 'TEST_ARBITER_KEY', '--session', label, '--name', 'fx', '--progress-every', '0.2', ...(options.flags ?? []), '--', ...upstream],
    env: { ...(process.env as Record<string, string>), TEST_ARBITER_KEY: world.key, UPSTREAM_LOG: log.file },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'gateway-test', version: '0.0.1' });
  await client.connect(transport);
  return { client, transport, log, label, close: () => client.close() };
}

/** The review id the gateway's progress notifications name ("… Arbiter review <id>"). */
export function reviewFromProgress(): { onprogress: (p: { message?: string }) => void; reviewId: () => Promise<string>; count: () => number } {
  let reviewId: string | undefined;
  let count = 0;
  return {
    onprogress: (p) => {
      count++;
      reviewId ??= /review ([0-9a-f-]{36})/.exec(p.message ?? '')?.[1];
    },
    reviewId: () => waitFor('a progress notification naming the review', async () => reviewId, 10_000),
    count: () => count,
  };
}

export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}
