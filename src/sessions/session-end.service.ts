import { Injectable } from '@nestjs/common';
import { AuditService, actorOf } from '../audit/audit.service.js';
import type { UserPrincipal } from '../auth/principal.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import { notifyOnCommit } from '../infra/notify/notify-channel.js';
import type { EndedSessionView } from './dto/session-end.dto.js';
import { sessionEndedChannel } from './session-end.js';

/** Ends an agent session for good: its socket is closed wherever it is held, and no login claims it again. */
@Injectable()
export class SessionEndService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
  ) {}

  /** 404 for an unknown session, 409 for one already ended. */
  end(sessionId: string, user: UserPrincipal, requestId?: string): Promise<EndedSessionView> {
    return this.prisma.$transaction(async (tx) => {
      // One statement: the lease is dropped and the epoch moved on, so the holder's next write or renewal finds the
      // session no longer its own even if the NOTIFY below is missed; the resume token is forgotten.
      const rows = await tx.$queryRaw<{ id: string; project_id: string; ended_at: Date; ended_by: string }[]>`
        UPDATE agent_sessions
           SET ended_at = now(), ended_by = ${user.email}, resume_token_hash = NULL, lease_expires_at = NULL,
               connection_id = NULL, instance_id = NULL, epoch = epoch + 1
         WHERE id = ${sessionId}::uuid AND ended_at IS NULL
        RETURNING id, project_id, ended_at, ended_by`;
      const ended = rows[0];
      if (!ended) {
        const existing = await tx.agentSession.findUnique({ where: { id: sessionId }, select: { endedBy: true } });
        if (!existing) throw new AppError('not_found', 'session not found');
        throw new AppError('conflict', `the session was already ended (by ${existing.endedBy})`);
      }
      await this.audit.record(
        { actor: actorOf(user), action: 'session.ended', target: { type: 'agent_session', id: sessionId }, details: { project_id: ended.project_id }, requestId },
        tx,
      );
      await notifyOnCommit(tx, sessionEndedChannel, { session_id: sessionId, ended_by: user.email });
      return { id: ended.id, ended_at: ended.ended_at.toISOString(), ended_by: ended.ended_by };
    });
  }
}
