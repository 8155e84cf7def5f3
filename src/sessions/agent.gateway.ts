import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  Inject,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type OnGatewayConnection, type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import { WebSocket, type WebSocketServer } from 'ws';
import { ApiKeysService } from '../auth/api-keys/api-keys.service.js';
import { looksLikeApiKey } from '../auth/api-keys/api-key-format.js';
import { ARBITER_CONFIG } from '../infra/config/config.module.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import { randomToken, sha256Hex } from '../infra/crypto/tokens.js';
import { MetricsService } from '../infra/metrics/metrics.service.js';
import { PgNotifyService } from '../infra/notify/pg-notify.service.js';
import { PhaseWheel } from '../infra/scheduling/phase-wheel.js';
import { type TrustProxyFn, clientAddress } from '../infra/websocket/client-address.js';
import { PolicyCache } from '../policies/policy-cache.service.js';
import { registerConnectionGauges } from './agent-connection.metrics.js';
import { type AgentConnection, AgentConnectionRegistry } from './agent-connection.registry.js';
import { AgentFrameIntake, FatalFrame, closedMeanwhile } from './agent-frame-intake.js';
import { EventCancellation } from './event-cancel.js';
import { EventRecorderRepository } from './event-recorder.repository.js';
import type { InboundBudget } from './inbound-budget.js';
import { LeaseRenewer } from './lease-renewer.js';
import type { TenantThrottle } from './tenant-throttle.js';
import { CloseCode, type LoginFrame, PROTOCOL_VERSION, type ServerFrame, type VerdictFrame } from './protocol.js';
import { sessionClaimedChannel, sessionOutboxChannelOf } from './session-events.js';
import { SessionHooks } from './session-hooks.service.js';
import { SessionInventory } from './session-inventory.js';
import { SessionLeaseRepository } from './session-lease.repository.js';
import { VerdictOutboxService } from './verdict-outbox.service.js';

/** About how often the heartbeat wakes to ping one slot of connections (PhaseWheel). */
const PING_TURN_MS = 50;

/** How long a shutdown waits for the leases' release before it closes the agents' sockets anyway. */
const SHUTDOWN_RELEASE_MS = 2000;

/**
 * `GET /ws`: the agents' control plane. Sessions are identified by a server-owned id in the key's own namespace and
 * held by one connection at a time through a lease fenced by epoch; verdicts are rows first and frames second.
 * Frames are read, charged and dispatched by AgentFrameIntake; this class accepts, logs in, sends and closes.
 * See PROTOCOL.md beside this file.
 */
@WebSocketGateway({ path: '/ws' })
export class AgentGateway implements OnGatewayInit, OnGatewayConnection, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AgentGateway.name);
  private draining = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  /** Each connection's ping phase. */
  private readonly pingWheel: PhaseWheel<AgentConnection>;
  private readonly renewer: LeaseRenewer;
  private readonly intake: AgentFrameIntake;
  /** The intake's budget of received bytes (see AgentFrameIntake). */
  readonly inbound: InboundBudget<AgentConnection>;
  /** The intake's per-project rates (see AgentFrameIntake). */
  readonly throttle: TenantThrottle<AgentConnection>;
  private trustProxy: TrustProxyFn = () => false;

  constructor(
    @Inject(ARBITER_CONFIG) private readonly config: ArbiterConfig,
    private readonly registry: AgentConnectionRegistry,
    private readonly apiKeys: ApiKeysService,
    private readonly policies: PolicyCache,
    private readonly leases: SessionLeaseRepository,
    recorder: EventRecorderRepository,
    private readonly outbox: VerdictOutboxService,
    cancellation: EventCancellation,
    inventories: SessionInventory,
    private readonly notify: PgNotifyService,
    private readonly hooks: SessionHooks,
    private readonly adapterHost: HttpAdapterHost,
    metrics: MetricsService,
  ) {
    this.intake = new AgentFrameIntake(
      { config, logger: this.logger, metrics, apiKeys, policies, recorder, outbox, cancellation, inventories, hooks },
      {
        send: (conn, frame) => this.send(conn, frame),
        close: (conn, closeCode, code, message) => this.close(conn, closeCode, code, message),
        login: (conn, frame) => this.login(conn, frame),
      },
    );
    this.inbound = this.intake.inbound;
    this.throttle = this.intake.throttle;
    this.pingWheel = new PhaseWheel(PhaseWheel.slotsFor(config.wsPingIntervalMs, PING_TURN_MS));
    this.renewer = new LeaseRenewer(config.leaseSeconds, leases, apiKeys, this.logger, (conn, revoked) =>
      revoked
        ? this.close(conn, CloseCode.unauthorized, 'unauthorized', 'the API key was revoked')
        : this.close(conn, CloseCode.superseded, 'superseded', 'the session was resumed by another connection'),
    );
    registerConnectionGauges(metrics.registry, this.registry, this.inbound, this.throttle);
  }

  /**
   * Refuses an upgrade with HTTP 429 when its client address already holds the most sockets that have not logged in:
   * each is held up to the login timeout, so without a bound one address could hold any number.
   */
  afterInit(server: WebSocketServer): void {
    this.trustProxy = this.adapterHost.httpAdapter.getInstance().get('trust proxy fn') as TrustProxyFn;
    const limit = this.config.wsMaxUnauthenticatedPerAddress;
    server.options.verifyClient = (info, accept) => {
      if (this.registry.unauthenticatedFrom(clientAddress(info.req, this.trustProxy)) < limit) return accept(true);
      accept(false, 429, `too many connections from this address have not logged in (at most ${limit})`);
    };
  }

  onApplicationBootstrap(): void {
    this.unsubscribe.push(
      this.notify.subscribe(sessionOutboxChannelOf(this.config.instanceId), ({ session_id, verdict }) => {
        const conn = this.registry.holderOf(session_id);
        if (conn) this.intake.enqueue(conn, () => (verdict ? this.sendOwed(conn, verdict) : this.flush(conn)));
      }),
      this.notify.subscribe(sessionClaimedChannel, ({ session_id, epoch }) => {
        const conn = this.registry.holderOf(session_id);
        if (conn?.session && conn.session.epoch < epoch) this.close(conn, CloseCode.superseded, 'superseded', 'the session was resumed by another connection');
      }),
      this.apiKeys.subscribeRevocations((apiKeyId) => {
        for (const conn of this.registry.usingKey(apiKeyId)) this.close(conn, CloseCode.unauthorized, 'unauthorized', 'the API key was revoked');
      }),
      // NOTIFY is not stored: after our LISTEN connection comes back, send whatever became owed meanwhile.
      this.notify.onReconnect(() => {
        for (const conn of this.registry.liveSessions()) this.intake.enqueue(conn, () => this.flush(conn));
      }),
    );
    // One slot of the wheel per turn, about every 50 ms: see PhaseWheel.
    const ping = setInterval(() => this.heartbeat(), this.config.wsPingIntervalMs / this.pingWheel.slotCount);
    // One slot of the renewal wheel per turn too (see LeaseRenewer: a login storm of 2,400/s renewed in waves gave
    // 2,400-row statements every second and p99 spikes).
    const renew = setInterval(() => void this.renewer.turn(), this.renewer.turnMs);
    ping.unref();
    renew.unref();
    this.timers.push(ping, renew);
  }

  /**
   * Rolling restart (first of Nest's shutdown hooks; the database is closed last): stop taking sockets, free our
   * leases so agents resume elsewhere at once, and close with 1012.
   */
  async onModuleDestroy(): Promise<void> {
    this.draining = true;
    for (const off of this.unsubscribe) off();
    for (const timer of this.timers) clearInterval(timer);
    // Held sockets are read again so that their close handshakes get through.
    this.throttle.clear();
    const live = this.registry.liveSessions();
    // Bounded: a database that is slow to answer (a saturated pool, a lock) must not keep the agents on this instance
    // waiting for the shutdown timeout; they resume elsewhere with their resume token at once, leases or not.
    const released = (async () => {
      await this.outbox.flushAcks();
      await this.leases.release(live.map((c) => ({ sessionId: c.session!.id, epoch: c.session!.epoch })));
    })();
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), SHUTDOWN_RELEASE_MS)));
    try {
      if ((await Promise.race([released, gaveUp])) === 'late') {
        this.logger.warn(`releasing leases at shutdown took over ${SHUTDOWN_RELEASE_MS} ms; closing the sockets anyway (leases expire in ${this.config.leaseSeconds} s)`);
        released.catch(() => undefined);
      }
    } catch (err) {
      this.logger.warn(`releasing leases at shutdown failed (${(err as Error).message}); they expire in ${this.config.leaseSeconds} s`);
    } finally {
      clearTimeout(timer);
    }
    const closed = [...this.registry.connections()].map(
      (conn) =>
        new Promise<void>((resolve) => {
          if (conn.socket.readyState === WebSocket.CLOSED) return resolve();
          conn.socket.once('close', () => resolve());
          this.close(conn, CloseCode.serverRestarting, 'not_ready', 'server restarting; reconnect', { released: true });
        }),
    );
    await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 2000).unref())]);
    // A peer that has not answered the close handshake by now would hold its socket, and with it the HTTP server's
    // close, for ws's 30 s close timeout: past the shutdown timeout (once in a few CI runs an instance of the rolling
    // deploy exited 1 so, nothing logged after SIGTERM). It is cut; it reconnects elsewhere like the others.
    for (const conn of [...this.registry.connections()]) if (conn.socket.readyState !== WebSocket.CLOSED) conn.socket.terminate();
    const flushed = Promise.all([this.outbox.flushAcks(), this.hooks.drain()]);
    if ((await Promise.race([flushed, new Promise((r) => setTimeout(() => r('late'), 2000).unref())])) === 'late') {
      this.logger.warn('flushing acks and session hooks at shutdown took over 2 s; going on without them');
      flushed.catch(() => undefined);
    }
  }

  handleConnection(socket: WebSocket, req: IncomingMessage): void {
    const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    const conn: AgentConnection = {
      id: randomUUID(),
      socket,
      remoteAddress: clientAddress(req, this.trustProxy),
      headerApiKey: auth && looksLikeApiKey(auth) ? auth : undefined,
      state: 'awaiting_login',
      sentVerdicts: new Set(),
      queue: Promise.resolve(),
      unansweredPings: 0,
      leaseRenewedAt: 0,
    };
    if (this.draining) {
      socket.close(CloseCode.serverRestarting, 'server restarting');
      setTimeout(() => socket.terminate(), 1000).unref(); // as above: no peer holds the shutdown
      return;
    }
    this.registry.add(conn);
    // A random phase: connections that arrived together are not all pinged together.
    this.pingWheel.add(conn);
    this.renewer.add(conn);
    conn.loginTimer = setTimeout(() => {
      if (conn.state === 'awaiting_login') this.close(conn, CloseCode.loginTimeout, 'login_timeout', `no login frame within ${this.config.wsLoginTimeoutMs} ms`);
    }, this.config.wsLoginTimeoutMs);
    socket.on('pong', () => (conn.unansweredPings = 0));
    socket.on('message', (data, isBinary) => this.intake.receive(conn, data, isBinary));
    socket.on('error', (err) => this.logger.debug(`agent socket ${conn.id}: ${err.message}`));
    socket.on('close', () => void this.onClose(conn));
  }


  private async login(conn: AgentConnection, frame: LoginFrame): Promise<void> {
    const key = conn.headerApiKey ?? frame.api_key;
    if (!key) throw new FatalFrame(CloseCode.unauthorized, 'unauthorized', 'an API key is required (Authorization header or api_key)');
    const principal = await this.apiKeys.authenticate(key);
    if (!principal) throw new FatalFrame(CloseCode.unauthorized, 'unauthorized', 'invalid or revoked API key');
    // Findable by a revocation from now on, before the claim below: a revocation that commits after the claim's snapshot
    // is announced after this line ran, so it closes this connection; one that commits before makes the claim refuse.
    // Either way no socket of a revoked key stays open (the read above alone leaves a gap until the socket is bound).
    conn.principal = principal;
    this.registry.bindKey(conn);
    if (!closedMeanwhile(conn)) this.throttle.join(principal.projectId, conn);
    const policy = await this.policies.get(principal.projectId);
    if (closedMeanwhile(conn)) return;
    const resumeToken = randomToken(32);
    const claim = await this.leases.claim({
      projectId: principal.projectId,
      apiKeyId: principal.apiKeyId,
      externalId: frame.session_id,
      agentId: frame.agent_id ?? null,
      source: frame.source ?? null,
      connectionId: conn.id,
      instanceId: this.config.instanceId,
      leaseSeconds: this.config.leaseSeconds,
      presentedResumeHash: frame.resume_token ? sha256Hex(frame.resume_token) : null,
      newResumeHash: sha256Hex(resumeToken),
    });
    if (closedMeanwhile(conn)) {
      // Closed while claiming (revoked, or the client left): the lease it just took is not kept.
      if (claim) await this.leases.release([{ sessionId: claim.sessionId, epoch: claim.epoch }]);
      return;
    }
    if (!claim) {
      if (!(await this.apiKeys.isActive(principal.apiKeyId))) throw new FatalFrame(CloseCode.unauthorized, 'unauthorized', 'the API key was revoked');
      throw new FatalFrame(CloseCode.sessionInUse, 'session_in_use', 'this session is held by another live connection; resume with its resume_token or wait for its lease to expire');
    }
    conn.session = { id: claim.sessionId, projectId: principal.projectId, externalId: frame.session_id, epoch: claim.epoch };
    conn.state = 'live';
    conn.leaseRenewedAt = Date.now();
    this.registry.bind(conn);
    if (!claim.created && frame.resume_token) {
      await this.notify.publish(sessionClaimedChannel, { session_id: claim.sessionId, epoch: claim.epoch });
    }
    this.send(conn, {
      type: 'login_ok',
      session: claim.sessionId,
      connection_id: conn.id,
      epoch: claim.epoch,
      resume_token: resumeToken,
      mode: policy.mode,
      protocol: PROTOCOL_VERSION,
    });
    this.hooks.emitConnected({ sessionId: claim.sessionId, projectId: principal.projectId, externalId: frame.session_id });
    // A session created by this login cannot be owed anything yet.
    if (!claim.created) await this.flush(conn);
  }


  /** Sends one verdict the session is owed (from its notification), unless this connection already sent it. */
  private async sendOwed(conn: AgentConnection, verdict: VerdictFrame): Promise<void> {
    if (conn.state !== 'live' || conn.sentVerdicts.has(verdict.event_id)) return;
    if (this.send(conn, verdict)) conn.sentVerdicts.add(verdict.event_id);
  }

  /** Sends every verdict the session is owed that this connection has not sent yet, oldest first. */
  private async flush(conn: AgentConnection): Promise<void> {
    if (conn.state !== 'live' || !conn.session) return;
    for (const verdict of await this.outbox.unacked(conn.session.id)) {
      if (conn.sentVerdicts.has(verdict.event_id)) continue;
      const { id: _id, seq: _seq, ...frame } = verdict;
      if (!this.send(conn, frame)) return;
      conn.sentVerdicts.add(verdict.event_id);
    }
  }

  /** Pings the connections whose phase has come; drops one that left the last two pings unanswered. */
  private heartbeat(): void {
    for (const conn of this.pingWheel.turn()) {
      // Not read while paused, so its pongs wait in the socket: it is evidently alive (it sends faster than we handle).
      if (this.inbound.isPaused(conn)) {
        conn.unansweredPings = 0;
        continue;
      }
      if (conn.unansweredPings >= 2) {
        this.logger.debug(`agent connection ${conn.id} missed two pings; dropping it`);
        conn.socket.terminate();
        continue;
      }
      conn.unansweredPings++;
      if (conn.socket.readyState === WebSocket.OPEN) conn.socket.ping();
    }
  }

  /** Sends a frame; false if the socket is gone. A client that stops reading is closed, not buffered forever. */
  private send(conn: AgentConnection, frame: ServerFrame): boolean {
    if (conn.closing || conn.socket.readyState !== WebSocket.OPEN) return false;
    if (conn.socket.bufferedAmount > this.config.wsMaxBufferedBytes) {
      this.close(conn, CloseCode.slowConsumer, 'slow_consumer', 'the client is not reading its frames');
      return false;
    }
    conn.socket.send(JSON.stringify(frame));
    return true;
  }

  private close(conn: AgentConnection, closeCode: number, code: string, message: string, opts: { released?: boolean } = {}): void {
    if (conn.state === 'closed' || conn.closing) return;
    conn.closing = true;
    // The reason as a last frame, unless the client is not reading (then it could only pile up).
    if (conn.socket.readyState === WebSocket.OPEN && conn.socket.bufferedAmount <= this.config.wsMaxBufferedBytes) {
      conn.socket.send(JSON.stringify({ type: 'error', code, message } satisfies ServerFrame));
    }
    const keepLease = closeCode === CloseCode.superseded || opts.released;
    void this.finish(conn, !keepLease);
    conn.socket.close(closeCode, message.slice(0, 120));
    // A peer that never completes the closing handshake must not keep the socket.
    setTimeout(() => conn.socket.terminate(), 5000).unref();
  }

  private async onClose(conn: AgentConnection): Promise<void> {
    await this.finish(conn, true);
  }

  /** Forgets the connection once; frees its lease (epoch-fenced) unless someone else already holds it. */
  private async finish(conn: AgentConnection, releaseLease: boolean): Promise<void> {
    if (conn.state === 'closed') return;
    const wasLive = conn.state === 'live';
    conn.state = 'closed';
    clearTimeout(conn.loginTimer);
    this.registry.remove(conn);
    this.pingWheel.remove(conn);
    this.renewer.remove(conn);
    if (conn.principal) this.throttle.leave(conn.principal.projectId, conn);
    this.inbound.forget(conn);
    if (!wasLive || !conn.session) return;
    if (releaseLease && !this.draining) {
      // Acks are batched: record this connection's before the lease is free, so the next holder is not sent them.
      await this.outbox.flushAcks();
      await this.leases.release([{ sessionId: conn.session.id, epoch: conn.session.epoch }]).catch((err: Error) =>
        this.logger.warn(`releasing the lease of session ${conn.session!.id} failed: ${err.message}`),
      );
    }
    this.hooks.emitDisconnected({ sessionId: conn.session.id, projectId: conn.session.projectId, externalId: conn.session.externalId });
  }
}
