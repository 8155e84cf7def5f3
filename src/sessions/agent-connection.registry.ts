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
  /** The client's address (X-Forwarded-For honoured as TRUST_PROXY says, as for HTTP requests). */
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
  /** Connections not logged in yet, and how many of them each client address holds. */
  private readonly unauthenticated = new Set<AgentConnection>();
  private readonly unauthenticatedByAddress = new Map<string, number>();

  add(conn: AgentConnection): void {
    this.all.set(conn.id, conn);
    this.unauthenticated.add(conn);
    this.unauthenticatedByAddress.set(conn.remoteAddress, this.unauthenticatedFrom(conn.remoteAddress) + 1);
  }

  /** Sockets from this client address that have not logged in (yet). */
  unauthenticatedFrom(address: string): number {
    return this.unauthenticatedByAddress.get(address) ?? 0;
  }

  /**
   * Called as soon as the connection's API key is known, before its session is claimed: a revocation committed from
   * then on finds it (see AgentGateway.login).
   */
  bindKey(conn: AgentConnection): void {
    if (!conn.principal) return;
    let keyed = this.byApiKey.get(conn.principal.apiKeyId);
    if (!keyed) {
      keyed = new Set();
      this.byApiKey.set(conn.principal.apiKeyId, keyed);
    }
    keyed.add(conn);
  }

  /** Called once the connection holds its session's lease. */
  bind(conn: AgentConnection): void {
    if (!conn.session || !conn.principal) return;
    this.bySession.set(conn.session.id, conn);
    this.bindKey(conn);
    this.authenticated(conn);
  }

  remove(conn: AgentConnection): void {
    this.all.delete(conn.id);
    this.authenticated(conn);
    if (conn.session && this.bySession.get(conn.session.id) === conn) this.bySession.delete(conn.session.id);
    if (conn.principal) {
      const keyed = this.byApiKey.get(conn.principal.apiKeyId);
      keyed?.delete(conn);
      if (keyed?.size === 0) this.byApiKey.delete(conn.principal.apiKeyId);
    }
  }

  /** No longer counted against its address. */
  private authenticated(conn: AgentConnection): void {
    if (!this.unauthenticated.delete(conn)) return;
    const left = this.unauthenticatedFrom(conn.remoteAddress) - 1;
    if (left > 0) this.unauthenticatedByAddress.set(conn.remoteAddress, left);
    else this.unauthenticatedByAddress.delete(conn.remoteAddress);
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
