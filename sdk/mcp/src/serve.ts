import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { type GatewaySession, type Log, apiKeyFrom, openSession } from './gateway.js';
import type { GatewayOptions } from './options.js';

const MAX_BODY_BYTES = 4 * 1024 * 1024;

function jsonError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return size ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
}

function isInitialize(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((m) => (m as { method?: unknown } | null)?.method === 'initialize');
}

/**
 * `serve`: an MCP Streamable HTTP endpoint in front of a remote MCP server. Each MCP session (an initialize without an
 * Mcp-Session-Id) gets its own upstream session and its own Arbiter session, labelled `<--session>/<MCP session id>`.
 */
export async function runServe(options: GatewayOptions, log: Log): Promise<Server> {
  const apiKey = apiKeyFrom(options);
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; session: GatewaySession }>();

  const server = createServer((req, res) => {
    void (async () => {
      let body: unknown;
      try {
        body = req.method === 'POST' ? await readJson(req) : undefined;
      } catch (err) {
        return jsonError(res, 400, `Parse error: ${(err as Error).message}`);
      }
      const sessionId = req.headers['mcp-session-id'];
      if (typeof sessionId === 'string') {
        const known = sessions.get(sessionId);
        if (!known) return jsonError(res, 404, 'Session not found');
        return known.transport.handleRequest(req, res, body);
      }
      if (req.method !== 'POST' || !isInitialize(body)) return jsonError(res, 400, 'Bad Request: no valid session ID provided');
      const id = randomUUID();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => id });
      const upstream = new StreamableHTTPClientTransport(options.upstream!);
      // The agent's session ending ends ours with the remote server too (DELETE), rather than leaving it to time out.
      const closeUpstream = upstream.close.bind(upstream);
      upstream.close = async () => {
        if (upstream.sessionId) await upstream.terminateSession().catch(() => undefined);
        await closeUpstream();
      };
      const session = openSession(options, apiKey, `${options.session}/${id}`.slice(0, 200), transport, upstream, log, () => sessions.delete(id));
      sessions.set(id, { transport, session });
      await session.proxy.start();
      await transport.handleRequest(req, res, body);
    })().catch((err: Error) => {
      log(`request failed: ${err.message}`);
      if (!res.headersSent) jsonError(res, 500, 'Internal error');
    });
  });
  server.on('close', () => {
    for (const { session } of sessions.values()) void session.proxy.close();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen!.port, options.listen!.host, () => resolve());
  });
  const address = server.address();
  log(`serving MCP on http://${options.listen!.host}:${typeof address === 'object' && address ? address.port : options.listen!.port}/mcp, forwarding to ${options.upstream!.href}`);
  return server;
}
