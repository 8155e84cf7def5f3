// Figure 7: what the MCP gateway (arbiter-mcp) adds to a tools/call the policy allows. The same call three ways, one
// after another in each round so that the shared machine's load weighs on all three alike: straight to the upstream
// MCP server, through the gateway in front of it, and the bare Arbiter verdict round trip (the SDK's decide) that the
// gateway pays on each call. Goal: the gateway adds at most 2x the bare round trip to the direct call.
import path from 'node:path';
import { ArbiterClient } from '@arbiter-ai/sdk';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { projectRoot } from '../src/infra/database/project-root.js';
import { nowMs, summary } from './lib/stats.js';

export interface McpGatewayFigures {
  calls: number;
  direct: { p50: number; p99: number };
  gateway: { p50: number; p99: number };
  bare: { p50: number; p99: number };
}

async function mcpClient(command: string, args: string[], env: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'bench', version: '0.0.0' });
  await client.connect(new StdioClientTransport({ command, args, env: { ...(process.env as Record<string, string>), ...env }, stderr: 'ignore' }));
  return client;
}

export async function measureMcpGateway(arbiterUrl: string, apiKey: string, calls: number, warmup = 50): Promise<McpGatewayFigures> {
  const root = projectRoot();
  const upstream = [path.join(root, 'test', 'mcp', 'fixtures', 'upstream-server.mjs')];
  const gatewayCli = path.join(root, 'sdk', 'mcp', 'dist', 'cli.js');
  const direct = await mcpClient(process.execPath, upstream, {});
  const gateway = await mcpClient(process.execPath, [gatewayCli, '--url', arbiterUrl, '--session', 'bench-mcp', '--name', 'fx', '--', process.execPath, ...upstream], { ARBITER_API_KEY: apiKey });
  const bare = await ArbiterClient.connect({ url: arbiterUrl, apiKey, sessionId: 'bench-mcp-bare' });
  const times = { direct: [] as number[], gateway: [] as number[], bare: [] as number[] };
  try {
    const call = { name: 'echo', arguments: { text: 'bench' } };
    for (let i = 0; i < warmup + calls; i++) {
      const keep = i >= warmup;
      let t = nowMs();
      await direct.callTool(call);
      if (keep) times.direct.push(nowMs() - t);
      t = nowMs();
      const result = await gateway.callTool(call);
      if (keep) times.gateway.push(nowMs() - t);
      if (result.isError) throw new Error(`the gateway refused an allowed call: ${JSON.stringify(result.content)}`);
      t = nowMs();
      const verdict = await bare.decide({ kind: 'tool', tool: 'fx.echo', input: call.arguments }, { timeoutMs: 10_000 });
      if (keep) times.bare.push(nowMs() - t);
      if (verdict.decision !== 'allow') throw new Error(`the bare call was not allowed: ${verdict.reason}`);
    }
  } finally {
    await Promise.allSettled([direct.close(), gateway.close(), bare.close()]);
  }
  const pick = (v: number[]) => {
    const s = summary(v);
    return { p50: s.p50, p99: s.p99 };
  };
  return { calls, direct: pick(times.direct), gateway: pick(times.gateway), bare: pick(times.bare) };
}
