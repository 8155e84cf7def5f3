import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { WebSocket } from 'ws';
import { PgNotifyService } from '../infra/notify/pg-notify.service.js';
import { AgentConnectionRegistry } from './agent-connection.registry.js';
import { SESSION_ENDED_CLOSE_CODE, sessionEndedChannel } from './session-end.js';

/** How long a peer gets to complete the closing handshake. */
const CLOSE_HANDSHAKE_MS = 5000;

/**
 * Closes the socket of an ended session if this instance holds it. The gateway's close handler then forgets the
 * connection; its lease release is a no-op (ending moved the epoch on).
 */
@Injectable()
export class SessionEndListener implements OnApplicationBootstrap, OnModuleDestroy {
  private unsubscribe?: () => void;

  constructor(
    private readonly notify: PgNotifyService,
    private readonly registry: AgentConnectionRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.unsubscribe = this.notify.subscribe(sessionEndedChannel, ({ session_id, ended_by }) => {
      const conn = this.registry.holderOf(session_id);
      if (!conn || conn.state === 'closed' || conn.closing) return;
      conn.closing = true;
      const message = `the session was ended by ${ended_by}`;
      if (conn.socket.readyState === WebSocket.OPEN) conn.socket.send(JSON.stringify({ type: 'error', code: 'session_ended', message }));
      conn.socket.close(SESSION_ENDED_CLOSE_CODE, message.slice(0, 120));
      setTimeout(() => conn.socket.terminate(), CLOSE_HANDSHAKE_MS).unref();
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }
}
