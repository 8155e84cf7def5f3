import type { Response } from 'express';
import { type StreamEventRow, formatSseEvent } from './stream-event.js';
import type { StreamSubscriber } from './stream-hub.service.js';

/** Past this much unsent output the client is not reading; it is cut off and resumes with Last-Event-ID. */
const MAX_UNSENT_BYTES = 1024 * 1024;

/**
 * One open `GET /api/stream` response. While it catches up from the log, live events are held back and then sent
 * after the backlog, skipping any the backlog already carried, so the client sees every event once, in id order.
 */
export class SseConnection implements StreamSubscriber {
  private lastSent: bigint;
  private catchingUp = true;
  private held: StreamEventRow[] = [];
  private closed = false;

  constructor(
    private readonly res: Response,
    start: bigint,
    private readonly canSee: (projectId: string) => boolean,
  ) {
    this.lastSent = start;
  }

  get position(): bigint {
    return this.lastSent;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  deliver(row: StreamEventRow): void {
    if (this.closed) return;
    if (this.catchingUp) this.held.push(row);
    else this.send(row);
  }

  /** Sends a row from the backlog or the live feed; rows at or before the last one sent are skipped. */
  send(row: StreamEventRow): void {
    const id = BigInt(row.id);
    if (this.closed || id <= this.lastSent) return;
    this.lastSent = id;
    if (this.canSee(row.project_id)) this.write(formatSseEvent(row));
  }

  /** The backlog is out: send what arrived live meanwhile, then send live events as they come. */
  caughtUp(): void {
    this.catchingUp = false;
    const held = this.held;
    this.held = [];
    for (const row of held) this.send(row);
  }

  /** Raw text/event-stream text: a comment, a `retry:` line, or a control event. */
  write(text: string): void {
    if (this.closed) return;
    if (this.res.writableLength > MAX_UNSENT_BYTES) return this.end();
    this.res.write(text);
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.held = [];
    this.res.end();
  }

  /** The response went away (client closed, network gone). */
  markClosed(): void {
    this.closed = true;
    this.held = [];
  }
}
