import { performance } from 'node:perf_hooks';
import type { Logger } from '@nestjs/common';
import { Histogram } from 'prom-client';
import type { WebSocket } from 'ws';
import type { ApiKeysService } from '../auth/api-keys/api-keys.service.js';
import type { ArbiterConfig } from '../infra/config/config.js';
import type { MetricsService } from '../infra/metrics/metrics.service.js';
import { canonicalJson, eventInputSha256 } from '../policies/canonical-event.js';
import { matchRules } from '../policies/policy-engine.js';
import type { PolicyCache } from '../policies/policy-cache.service.js';
import type { AgentConnection } from './agent-connection.registry.js';
import type { EventCancellation } from './event-cancel.js';
import type { EventRecorderRepository, RecordOutcome } from './event-recorder.repository.js';
import { InboundBudget } from './inbound-budget.js';
import { applyMode } from './mode-decision.js';
import { type AckFrame, type CancelFrame, CloseCode, type EventFrame, type InventoryFrame, type LoginFrame, type ServerFrame, parseClientFrame } from './protocol.js';
import type { SessionHooks } from './session-hooks.service.js';
import type { SessionInventory } from './session-inventory.js';
import { TenantThrottle } from './tenant-throttle.js';
import { ThrottleLog } from './throttle-log.js';
import type { VerdictOutboxService } from './verdict-outbox.service.js';

/**
 * What a waiting frame costs beyond its bytes (its place in the connection's queue), so that a flood of tiny frames is
 * bounded too.
 */
const FRAME_OVERHEAD_BYTES = 512;

/** After an await: TypeScript would keep a narrowing of `state` made before it. */
export function closedMeanwhile(conn: AgentConnection): boolean {
  return conn.state === 'closed';
}

function byteLength(data: WebSocket.RawData): number {
  if (Array.isArray(data)) return data.reduce((n, chunk) => n + chunk.length, 0);
  return data.byteLength;
}

/** Thrown by a frame's handler: the connection is closed with this code and reason. */
export class FatalFrame extends Error {
  constructor(
    readonly closeCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the intake needs of the gateway, which owns the sockets and the login. */
export interface FrameIntakeGateway {
  /** Sends a frame; false if the socket is gone (or was closed for not reading). */
  send(conn: AgentConnection, frame: ServerFrame): boolean;
  close(conn: AgentConnection, closeCode: number, code: string, message: string): void;
  login(conn: AgentConnection, frame: LoginFrame): Promise<void>;
}

export interface FrameIntakeDeps {
  config: ArbiterConfig;
  /** The gateway's, so that the intake's lines read as they always have. */
  logger: Logger;
  metrics: MetricsService;
  apiKeys: ApiKeysService;
  policies: PolicyCache;
  recorder: EventRecorderRepository;
  outbox: VerdictOutboxService;
  cancellation: EventCancellation;
  inventories: SessionInventory;
  hooks: SessionHooks;
}

/**
 * The agents' frames from the socket to their handler: each waits in its connection's queue as the bytes it came in,
 * charged to the connection's and the instance's budget and to its project's rates, then is parsed and dispatched by
 * type (login to the gateway; event, cancel, inventory and ack here).
 */
export class AgentFrameIntake {
  /** Received frames waiting to be handled, in bytes: a connection (or the instance) that is ahead is not read. */
  readonly inbound: InboundBudget<AgentConnection>;
  /** Bytes and main-thread time per project: a project over its rates has its sockets held (through `inbound`). */
  readonly throttle: TenantThrottle<AgentConnection>;
  private readonly verdictLatency: Histogram;
  private readonly logger: Logger;

  constructor(
    private readonly deps: FrameIntakeDeps,
    private readonly gateway: FrameIntakeGateway,
  ) {
    const { config } = deps;
    this.logger = deps.logger;
    this.inbound = new InboundBudget<AgentConnection>(config.wsMaxQueuedBytes, config.wsMaxQueuedBytesTotal, {
      // ws pauses the underlying net.Socket: TCP flow control then holds the client back, not our memory.
      pause: (conn) => conn.socket.pause(),
      resume: (conn) => conn.socket.resume(),
    });
    const throttleLog = new ThrottleLog(this.logger, config);
    this.throttle = new TenantThrottle<AgentConnection>(
      { bytesPerSecond: config.wsProjectBytesPerSecond, cpuMsPerSecond: config.wsProjectCpuMsPerSecond },
      { hold: (conn) => this.inbound.throttle(conn), release: (conn) => this.inbound.unthrottle(conn) },
      (projectId) => throttleLog.throttled(projectId),
    );
    this.verdictLatency = new Histogram({
      name: 'arbiter_verdict_latency_seconds',
      help: 'Time from an event frame arriving to its policy verdict being sent',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [deps.metrics.registry],
    });
  }

  /**
   * A frame waits as the bytes it came in (parsed objects can be many times larger), counted against the connection's
   * and the instance's budget, and is parsed when its turn comes.
   */
  receive(conn: AgentConnection, data: WebSocket.RawData, isBinary: boolean): void {
    if (conn.state === 'closed' || conn.closing) return;
    const receivedAt = process.hrtime.bigint();
    if (isBinary) return this.gateway.close(conn, CloseCode.protocolError, 'protocol_error', 'frames must be JSON text');
    const size = byteLength(data);
    const bytes = size + FRAME_OVERHEAD_BYTES;
    this.inbound.take(conn, bytes);
    // The rate is what the tenant sends (the overhead only sizes what waits in memory), so that many small frames of a
    // busy project cost it what they weigh, and large ones what they make the instance decode and store.
    if (conn.principal) this.throttle.charge(conn.principal.projectId, size, 0);
    this.enqueue(conn, () => this.handleFrame(conn, data, receivedAt), bytes);
  }

  /** Runs `work` after the connection's earlier frames; `bytes` (taken from the inbound budget) are given back after. */
  enqueue(conn: AgentConnection, work: () => Promise<void>, bytes = 0): void {
    conn.queue = conn.queue
      .then(async () => {
        if (conn.state !== 'closed') await work();
      })
      .catch((err: unknown) => {
        if (err instanceof FatalFrame) return this.gateway.close(conn, err.closeCode, err.code, err.message);
        this.logger.error(`agent connection ${conn.id}: ${(err as Error).stack ?? err}`);
        // A login that failed (e.g. the database is unreachable) would leave the socket neither logged in nor closed.
        if (conn.state === 'logging_in') return this.gateway.close(conn, CloseCode.serverRestarting, 'not_ready', 'cannot log in right now; reconnect');
        this.gateway.send(conn, { type: 'error', code: 'internal', message: 'internal error; retry' });
      })
      .finally(() => {
        if (bytes > 0) this.inbound.give(conn, bytes);
      });
  }

  private async handleFrame(conn: AgentConnection, data: WebSocket.RawData, receivedAt: bigint): Promise<void> {
    if (!(await this.unthrottled(conn))) return;
    const started = performance.now();
    const parsed = parseClientFrame(data.toString());
    this.chargeCpu(conn, started);
    if (!parsed.ok) {
      if (parsed.fatal) throw new FatalFrame(CloseCode.protocolError, 'protocol_error', parsed.message);
      return void this.gateway.send(conn, { type: 'error', code: 'validation_failed', message: parsed.message, ...(parsed.eventId ? { event_id: parsed.eventId } : {}) });
    }
    const frame = parsed.frame;
    if (frame.type === 'login') {
      if (conn.state !== 'awaiting_login') throw new FatalFrame(CloseCode.protocolError, 'protocol_error', 'login was already sent');
      conn.state = 'logging_in';
      clearTimeout(conn.loginTimer);
      return this.gateway.login(conn, frame);
    }
    if (conn.state === 'awaiting_login') throw new FatalFrame(CloseCode.protocolError, 'protocol_error', 'the first frame must be login');
    if (frame.type === 'event') return this.event(conn, frame, receivedAt);
    if (frame.type === 'cancel') return this.cancel(conn, frame);
    if (frame.type === 'inventory') return this.inventory(conn, frame);
    if (conn.state === 'live') this.ack(conn, frame);
  }

  private async event(conn: AgentConnection, frame: EventFrame, receivedAt: bigint): Promise<void> {
    const session = conn.session!;
    const policy = await this.deps.policies.get(session.projectId);
    // Again just before the costly part: frames released together must not all run before the first is charged.
    if (!(await this.unthrottled(conn))) return;
    const started = performance.now();
    const policyEvent = { kind: frame.kind, tool: frame.tool ?? null, input: frame.input };
    const inputJson = canonicalJson(frame.input ?? null);
    const inputSha256 = eventInputSha256(policyEvent, inputJson);
    const match = matchRules(policy, policyEvent);
    this.chargeCpu(conn, started);
    const outcome = applyMode(policy, match);
    const record = { sessionId: session.id, projectId: session.projectId, epoch: session.epoch, frame, inputSha256, ruleAction: match.action, rule: match.rule };
    let result: RecordOutcome;
    try {
      result =
        outcome.kind === 'verdict'
          ? await this.deps.recorder.recordVerdict(record, outcome.decision, outcome.reason)
          : await this.deps.recorder.recordReview(record, outcome.timeoutDecision, outcome.timeoutSeconds);
    } catch (err) {
      // 22P05 / 22P02: JSON PostgreSQL cannot store (a \u0000 in a string).
      const code = (err as { code?: string }).code;
      if (code === '22P05' || code === '22P02') {
        return void this.gateway.send(conn, { type: 'error', code: 'validation_failed', message: 'event: input cannot contain \\u0000', event_id: frame.event_id });
      }
      throw err;
    }
    switch (result.kind) {
      case 'not_held':
        return this.lost(conn);
      case 'verdict':
        // Sent even if sent before: a client repeating an event_id is asking for its verdict again.
        if (this.gateway.send(conn, result.frame)) {
          conn.sentVerdicts.add(frame.event_id);
          this.verdictLatency.observe(Number(process.hrtime.bigint() - receivedAt) / 1e9);
        }
        return;
      case 'withdrawn':
        return void this.gateway.send(conn, result.frame);
      case 'pending':
        this.gateway.send(conn, result.frame);
        if (result.created) {
          this.deps.hooks.emitReviewCreated({
            sessionId: session.id,
            projectId: session.projectId,
            externalId: session.externalId,
            reviewId: result.reviewId,
            eventId: frame.event_id,
            review: result.created,
          });
        }
        return;
    }
  }

  /**
   * Waits while the connection's project is held for its rates (frames read before the hold included); false if the
   * connection closed meanwhile.
   */
  private async unthrottled(conn: AgentConnection): Promise<boolean> {
    if (!conn.principal) return true;
    for (let wait = this.throttle.opened(conn.principal.projectId); wait; wait = this.throttle.opened(conn.principal.projectId)) {
      await wait;
      if (closedMeanwhile(conn)) return false;
    }
    return true;
  }

  /** Charges the main-thread time since `started` (performance.now()) to the connection's project, once known. */
  private chargeCpu(conn: AgentConnection, started: number): void {
    if (conn.principal) this.throttle.charge(conn.principal.projectId, 0, performance.now() - started);
  }

  /** The connection's statement found it no longer holds the session: revoked, or taken over. */
  private async lost(conn: AgentConnection): Promise<never> {
    if (!(await this.deps.apiKeys.isActive(conn.principal!.apiKeyId))) throw new FatalFrame(CloseCode.unauthorized, 'unauthorized', 'the API key was revoked');
    throw new FatalFrame(CloseCode.superseded, 'superseded', 'the session was resumed by another connection');
  }

  private async cancel(conn: AgentConnection, frame: CancelFrame): Promise<void> {
    const outcome = await this.deps.cancellation.cancel({ ...conn.session!, apiKeyId: conn.principal!.apiKeyId }, frame);
    if (outcome.kind === 'not_held') return this.lost(conn);
    this.gateway.send(conn, outcome.frame);
  }

  private async inventory(conn: AgentConnection, frame: InventoryFrame): Promise<void> {
    const outcome = await this.deps.inventories.record(conn.session!, frame);
    if (outcome.kind === 'not_held') return this.lost(conn);
    this.gateway.send(conn, outcome.frame);
  }

  private ack(conn: AgentConnection, frame: AckFrame): void {
    const session = conn.session!;
    this.deps.outbox.ack(session.id, session.epoch, frame.event_id, frame.status ?? 'received');
    conn.sentVerdicts.delete(frame.event_id);
  }
}
