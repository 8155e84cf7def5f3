import { Injectable } from '@nestjs/common';
import { PrismaService } from '../infra/database/prisma.service.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import type { PolicyChangeView, PolicyHistory, RuleChangeView } from './dto/policy-history.dto.js';

const HISTORY_LIMIT = 100;

interface PolicyUpdateDetails {
  default_action?: string;
  previous_default_action?: string;
  rule_count?: number;
  change_count?: number;
  changes?: RuleChangeView[];
}

/** Who changed a project's rules, when, and what changed: read from the audit log's `policy.update` entries. */
@Injectable()
export class PolicyHistoryService {
  constructor(private readonly prisma: PrismaService) {}

  async list(projectId: string): Promise<PolicyHistory> {
    if (!(await this.prisma.project.findUnique({ where: { id: projectId }, select: { id: true } }))) throw new AppError('not_found', 'project not found');
    const entries = await this.prisma.auditEntry.findMany({
      where: { action: 'policy.update', targetType: 'project', targetId: projectId },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: HISTORY_LIMIT,
    });
    const userIds = [...new Set(entries.flatMap((e) => (e.actorType === 'user' && e.actorId ? [e.actorId] : [])))];
    const users = await this.prisma.user.findMany({ where: { id: { in: userIds } }, select: { id: true, email: true } });
    const emails = new Map(users.map((u) => [u.id, u.email]));
    return {
      items: entries.map((e): PolicyChangeView => {
        const details = (e.details ?? {}) as PolicyUpdateDetails;
        return {
          id: e.id.toString(),
          at: e.at.toISOString(),
          actor_id: e.actorId,
          actor_email: e.actorId ? (emails.get(e.actorId) ?? null) : null,
          default_action: details.default_action ?? 'allow',
          previous_default_action: details.previous_default_action ?? null,
          rule_count: details.rule_count ?? 0,
          change_count: details.change_count ?? null,
          changes: details.changes ?? [],
        };
      }),
    };
  }
}
