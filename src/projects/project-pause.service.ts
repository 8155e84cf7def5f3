import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { UserPrincipal } from '../auth/principal.js';
import { actorOf } from '../audit/audit.service.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import { notifyOnCommit } from '../infra/notify/notify-channel.js';
import { policyChangedChannel } from '../policies/policy-events.js';
import { type ProjectView, projectView } from './dto/project.dto.js';

/**
 * A project's kill switch. The pause is a column of the project: every instance's PolicyCache drops the project when
 * the change commits (the rules' own NOTIFY), and its next load blocks every new event (see matchRules). Pending
 * reviews are left as they are.
 */
@Injectable()
export class ProjectPauseService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
  ) {}

  /** 409 when the project is paused already (the first pause and its reason stand). */
  pause(projectId: string, reason: string | undefined, user: UserPrincipal, requestId?: string): Promise<ProjectView> {
    return this.prisma.$transaction(async (tx) => {
      // One conditional UPDATE: of two concurrent pauses exactly one wins.
      const { count } = await tx.project.updateMany({
        where: { id: projectId, pausedAt: null },
        data: { pausedAt: new Date(), pausedBy: user.email, pauseReason: reason?.trim() || null },
      });
      const row = await tx.project.findUnique({ where: { id: projectId } });
      if (!row) throw new AppError('not_found', 'project not found');
      if (count === 0) throw new AppError('conflict', `the project is already paused (by ${row.pausedBy})`);
      await this.audit.record(
        { actor: actorOf(user), action: 'project.paused', target: { type: 'project', id: projectId }, details: { project_id: projectId, reason: row.pauseReason }, requestId },
        tx,
      );
      await notifyOnCommit(tx, policyChangedChannel, { project_id: projectId });
      return projectView(row);
    });
  }

  /** 409 when the project is not paused. */
  resume(projectId: string, user: UserPrincipal, requestId?: string): Promise<ProjectView> {
    return this.prisma.$transaction(async (tx) => {
      const before = await tx.project.findUnique({ where: { id: projectId }, select: { pausedAt: true, pausedBy: true, pauseReason: true } });
      if (!before) throw new AppError('not_found', 'project not found');
      const { count } = await tx.project.updateMany({ where: { id: projectId, pausedAt: { not: null } }, data: { pausedAt: null, pausedBy: null, pauseReason: null } });
      if (count === 0) throw new AppError('conflict', 'the project is not paused');
      await this.audit.record(
        {
          actor: actorOf(user),
          action: 'project.resumed',
          target: { type: 'project', id: projectId },
          details: { project_id: projectId, paused_at: before.pausedAt?.toISOString() ?? null, paused_by: before.pausedBy, reason: before.pauseReason },
          requestId,
        },
        tx,
      );
      await notifyOnCommit(tx, policyChangedChannel, { project_id: projectId });
      return projectView((await tx.project.findUnique({ where: { id: projectId } }))!);
    });
  }
}
