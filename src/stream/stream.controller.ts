import { Controller, Get, Logger, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import type { Request, Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { SseConnection } from './sse-connection.js';
import { StreamAccessService } from './stream-access.service.js';
import { parseLastEventId } from './stream-event.js';
import { StreamEventsRepository } from './stream-events.repository.js';
import { StreamHub } from './stream-hub.service.js';

export class StreamQuery {
  @ApiPropertyOptional({ description: 'Resume after this event id (for clients that cannot send the Last-Event-ID header)' })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'must be an event id from this stream' })
  last_event_id?: string;
}

const BACKLOG_PAGE = 500;
const KEEPALIVE_MS = 15_000;
const RECHECK_SIGN_IN_MS = 60_000;

@ApiTags('stream')
@ApiBearerAuth()
@ApiCookieAuth('arbiter_session')
@Controller('api/stream')
export class StreamController {
  private readonly logger = new Logger(StreamController.name);

  constructor(
    private readonly hub: StreamHub,
    private readonly events: StreamEventsRepository,
    private readonly access: StreamAccessService,
  ) {}

  /**
   * Server-Sent Events for the dashboard: review.created, review.decided, review.expired, review.extended, review.withdrawn,
   * session.connected, session.disconnected, from every instance. Each event's `id:` is its position in the log;
   * reconnecting with `Last-Event-ID` (or `?last_event_id=`) sends everything after it first. A client whose position
   * has left the log (kept ARBITER_STREAM_RETENTION_SECONDS, at least 10 minutes) first gets `event: stream.reset`
   * and should reload its state.
   */
  @Get()
  @ApiOperation({ summary: 'Live feed of review and session events (text/event-stream, any signed-in user)' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An event stream; each data line is {"id","type","project_id","at","data"}' })
  async stream(@Req() req: Request, @Res() res: Response, @CurrentUser() user: UserPrincipal, @Query() query: StreamQuery): Promise<void> {
    const resumeFrom = parseLastEventId(req.headers['last-event-id']) ?? parseLastEventId(query.last_event_id);
    const start = resumeFrom ?? (await this.hub.position());

    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    req.socket.setNoDelay(true);

    const conn = new SseConnection(res, start, this.access.projectFilter(user));
    const unsubscribe = this.hub.subscribe(conn);
    const keepalive = setInterval(() => conn.write(': keep-alive\n\n'), KEEPALIVE_MS);
    const recheckSignIn = () =>
      this.access.stillSignedIn(user).then(
        (ok) => {
          if (!ok) conn.end();
        },
        (err: Error) => this.logger.warn(`re-checking a stream's sign-in failed: ${err.message}`),
      );
    const recheck = setInterval(recheckSignIn, RECHECK_SIGN_IN_MS);
    // Sign-out, password change and disable end the feed at once (announced from any instance); the periodic check
    // catches expiry. Checked once more now: an ending announced between the guard's check and this watch went unheard.
    const unwatch = this.access.watch(user, () => conn.end());
    void recheckSignIn();
    const cleanup = () => {
      clearInterval(keepalive);
      clearInterval(recheck);
      unwatch();
      unsubscribe();
      conn.markClosed();
    };
    res.on('close', cleanup);

    conn.write('retry: 3000\n\n');
    try {
      if (resumeFrom !== undefined && resumeFrom > 0n && !(await this.events.retains(resumeFrom))) {
        conn.write(`event: stream.reset\ndata: ${JSON.stringify({ reason: 'events after your Last-Event-ID may have been pruned; reload the current state' })}\n\n`);
      }
      for (let position = start; !conn.isClosed; ) {
        const rows = await this.events.after(position, BACKLOG_PAGE);
        for (const row of rows) conn.send(row);
        if (rows.length < BACKLOG_PAGE) break;
        position = BigInt(rows[rows.length - 1].id);
      }
      conn.caughtUp();
    } catch (err) {
      this.logger.warn(`sending the stream backlog failed: ${(err as Error).message}`);
      conn.end();
    }
  }
}
