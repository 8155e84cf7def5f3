import { Injectable } from '@nestjs/common';
import type { WebSocket } from 'ws';
import type { ApiKeyPrincipal } from '../auth/principal.js';

export interface HeldSession {
  id: string;
  projectId: string;
  externalId: string;
  epoch: number;
}

/** One agent WebSocket on this instance, and everything we track about it. */
export interface AgentConnection {
  readonly id: string;
  readonly socket: WebSocket;
  readonly remoteAddress: string;
  /** From the upgrade request's Authorization header, if any. */
  readonly headerApiKey: string | undefined;
  state: 'awaiting_login' | 'logging_in' | 'live' | 'closed';
  /** A close was started; nothing more is sent. */
  closing?: boolean;
  principal?: ApiKeyPrincipal;
  session?: HeldSession;
  /** event_ids whose verdict was sent on this connection and not acked yet: never sent twice. */
  readonly sentVerdicts: Set<string>;
  /** Frames are handled one at a time, in arrival order. */
  queue: Promise<void>;
  queued: number;
  /** Pings sent since the last pong; two unanswered and the connection is dropped. */
  unansweredPings: number;
  /** When this instance last extended the session's lease (ms since the epoch). */
  leaseRenewedAt: number;
  loginTimer?: NodeJS.Timeout;
}

/** This instance's live agent sockets: the only state an instance keeps for itself. */
@Injectable()
export class AgentConnectionRegistry {
  private readonly all = new Map<string, AgentConnection>();
  private readonly bySession = new Map<string, AgentConnection>();
  private readonly byApiKey = new Map<string, Set<AgentConnection>>();

  add(conn: AgentConnection): void {
    this.all.set(conn.id, conn);
  }

  /** Called once the connection holds its session's lease. */
  bind(conn: AgentConnection): void {
    if (!conn.session || !conn.principal) return;
    this.bySession.set(conn.session.id, conn);
    let keyed = this.byApiKey.get(conn.principal.apiKeyId);
    if (!keyed) {
      keyed = new Set();
      this.byApiKey.set(conn.principal.apiKeyId, keyed);
    }
    keyed.add(conn);
  }

  remove(conn: AgentConnection): void {
    this.all.delete(conn.id);
    if (conn.session && this.bySession.get(conn.session.id) === conn) this.bySession.delete(conn.session.id);
    if (conn.principal) {
      const keyed = this.byApiKey.get(conn.principal.apiKeyId);
      keyed?.delete(conn);
      if (keyed?.size === 0) this.byApiKey.delete(conn.principal.apiKeyId);
    }
  }

  connections(): IterableIterator<AgentConnection> {
    return this.all.values();
  }

  holderOf(sessionId: string): AgentConnection | undefined {
    return this.bySession.get(sessionId);
  }

  usingKey(apiKeyId: string): AgentConnection[] {
    return [...(this.byApiKey.get(apiKeyId) ?? [])];
  }

  liveSessions(): AgentConnection[] {
    return [...this.bySession.values()].filter((c) => c.state === 'live');
  }

  get size(): number {
    return this.all.size;
  }
}
