import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ArbiterLink } from './arbiter-link.js';
import { ToolInventory } from './inventory.js';
import type { GatewayOptions } from './options.js';
import { McpProxy } from './proxy.js';
import { ToolCallGate } from './tool-call-gate.js';

export type Log = (line: string) => void;

/** Logs go to stderr: stdout is the MCP channel in stdio mode. */
export const stderrLog: Log = (line) => process.stderr.write(`arbiter-mcp: ${line}\n`);

/** The API key from the variable --api-key-env names. */
export function apiKeyFrom(options: GatewayOptions, env: NodeJS.ProcessEnv = process.env): string {
  const key = env[options.apiKeyEnv];
  if (!key) throw new Error(`the environment variable ${options.apiKeyEnv} (--api-key-env) holding the Arbiter API key is not set`);
  return key;
}

/** One proxied MCP session and its Arbiter session. */
export interface GatewaySession {
  proxy: McpProxy;
  link: ArbiterLink;
}

/** Wires an agent transport to an upstream one through a new Arbiter session labelled `sessionLabel`. */
export function openSession(
  options: GatewayOptions,
  apiKey: string,
  sessionLabel: string,
  agent: Transport,
  upstream: Transport,
  log: Log,
  onClose: (upstreamFirst: boolean) => void,
): GatewaySession {
  const link = new ArbiterLink({ url: options.url, apiKey, sessionId: sessionLabel, failOpen: options.failOpen, timeoutMs: options.timeoutMs, log });
  const gate = new ToolCallGate(link, options.name);
  const inventory = new ToolInventory(link, (name) => gate.toolName(name), options.hideBlocked, log);
  const proxy = new McpProxy(agent, upstream, {
    gate,
    inventory,
    progressEveryMs: options.progressEveryMs,
    log,
    onClose: (upstreamFirst) => {
      void link.close().finally(() => onClose(upstreamFirst));
    },
  });
  link.start();
  return { proxy, link };
}
