import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { type Log, apiKeyFrom, openSession } from './gateway.js';
import type { GatewayOptions } from './options.js';

/**
 * The upstream server as a child over stdio, the agent on our stdio. Ends when the agent closes our stdin (the child
 * is stopped first: its stdin closed, then SIGTERM, then SIGKILL) or when the child exits.
 */
export async function runStdio(options: GatewayOptions, log: Log): Promise<void> {
  const apiKey = apiKeyFrom(options);
  // The child gets our environment but not the Arbiter key: the upstream server has no business with it.
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && name !== options.apiKeyEnv) env[name] = value;
  const [command, ...args] = options.command;
  const upstream = new StdioClientTransport({ command, args, env, stderr: 'inherit' });
  const agent = new StdioServerTransport();
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    process.exit(code);
  };
  // The server exiting by itself is a failure the agent's client should see (non-zero), its stdin closing is not.
  const { proxy } = openSession(options, apiKey, options.session, agent, upstream, log, (upstreamFirst) => exit(upstreamFirst ? 1 : 0));
  // StdioServerTransport does not watch for the end of stdin: that is how an MCP client says it is done.
  process.stdin.once('end', () => void proxy.close('stdin closed'));
  process.stdin.once('close', () => void proxy.close('stdin closed'));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void proxy.close(`${signal}`));
  try {
    await proxy.start();
  } catch (err) {
    log(`cannot start ${command}: ${(err as Error).message}`);
    await proxy.close();
    exit(1);
  }
}
