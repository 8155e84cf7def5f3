import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody } from '../errors/error-catalogue.js';

/**
 * Nest's `ws` adapter with our limits: frames above `maxPayload` close the socket with 1009, and no compression (it
 * costs CPU and memory per socket for small JSON frames). Message dispatch is the gateway's own: the agent protocol
 * is typed by a `type` field and validated before any handler runs, not routed by Nest's `event` field.
 */
export class ArbiterWsAdapter extends WsAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly maxPayload: number,
  ) {
    super(app);
  }

  /** The gateways' paths; an upgrade to any other path is answered 404 (see answerOtherPaths). */
  private readonly wsPaths = new Set<string>();
  private answering = false;

  override create(port: number, options: Record<string, unknown> = {}) {
    if (typeof options.path === 'string') this.wsPaths.add(options.path);
    if (!this.answering && this.httpServer) {
      this.answering = true;
      this.httpServer.prependListener('upgrade', this.answerOtherPaths);
    }
    return super.create(port, { ...options, maxPayload: this.maxPayload, perMessageDeflate: false, clientTracking: true });
  }

  /**
   * Nest drops an upgrade to an unknown path without a word, so a client with a wrong URL could only report "socket
   * hang up". Answer 404 first (Nest's own listener runs next and destroys the socket; the answer is already written).
   */
  private readonly answerOtherPaths = (request: IncomingMessage, socket: Duplex): void => {
    let pathname: string | undefined;
    try {
      pathname = new URL(request.url ?? '/', 'ws://localhost').pathname;
    } catch {
      // Unparsable: Nest's listener refuses it too.
    }
    if (pathname === undefined || this.wsPaths.has(pathname)) return;
    const body = JSON.stringify(errorBody('not_found', `no WebSocket endpoint at this path; agents connect to ${[...this.wsPaths].join(' or ')}`));
    socket.end(`HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };

  override bindMessageHandlers(): void {
    // The gateway reads frames itself (see AgentGateway.handleConnection).
  }
}
