import { Injectable } from '@nestjs/common';
import type { Prisma } from '../generated/prisma/client.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { UUID_ID, decodeCursor, type Page, pageOf } from '../infra/http/pagination.js';
import type { AgentEventView, AgentSessionView, SessionInventoryView } from './dto/agent-session.dto.js';

type SessionRow = Prisma.AgentSessionGetPayload<object>;

/** What `GET /api/sessions` narrows the list by; every field optional. */
export interface SessionFilter {
  project?: string;
  state?: 'live' | 'ended';
  label?: string;
  since?: string;
  until?: string;
}

function sessionView(s: SessionRow, now = new Date()): AgentSessionView {
  return {
    id: s.id,
    project_id: s.projectId,
    api_key_id: s.apiKeyId,
    external_id: s.externalId,
    agent_id: s.agentId,
    source: s.source,
    created_at: s.createdAt.toISOString(),
    last_seen_at: s.lastSeenAt.toISOString(),
    connected: !!s.leaseExpiresAt && s.leaseExpiresAt > now,
    ended_at: s.endedAt?.toISOString() ?? null,
    ended_by: s.endedBy,
  };
}

/** The dashboard's read-only view of agent sessions and what they did. */
@Injectable()
export class AgentSessionsService {
  constructor(private readonly prisma: PrismaService) {}

  async list(filter: SessionFilter, cursor: string | undefined, limit = 50): Promise<Page<AgentSessionView>> {
    const position = decodeCursor(cursor, UUID_ID);
    const now = new Date();
    const rows = await this.prisma.agentSession.findMany({
      where: {
        ...(filter.project ? { projectId: filter.project } : {}),
        // The same test as `connected` in the view: a lease that has not lapsed.
        ...(filter.state === 'live' ? { leaseExpiresAt: { gt: now } } : {}),
        ...(filter.state === 'ended' ? { OR: [{ leaseExpiresAt: null }, { leaseExpiresAt: { lte: now } }] } : {}),
        ...(filter.label ? { externalId: { contains: filter.label, mode: 'insensitive' as const } } : {}),
        ...(filter.since ? { lastSeenAt: { gte: new Date(filter.since) } } : {}),
        ...(filter.until ? { createdAt: { lte: new Date(filter.until) } } : {}),
        ...(position ? { AND: [{ OR: [{ createdAt: { lt: position.at } }, { createdAt: position.at, id: { lt: position.id } }] }] } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    return pageOf(rows, limit, (s) => ({ at: s.createdAt, id: s.id }), (s) => sessionView(s, now));
  }

  /** One session with its most recent events (newest last), each with its verdict and review. */
  async get(id: string, eventLimit = 100): Promise<AgentSessionView & { inventory: SessionInventoryView | null; events: AgentEventView[] }> {
    const session = await this.prisma.agentSession.findUnique({ where: { id } });
    if (!session) throw new AppError('not_found', 'session not found');
    const events = await this.prisma.agentEvent.findMany({
      where: { sessionId: id },
      orderBy: { seq: 'desc' },
      take: eventLimit,
      include: { verdict: true, review: { select: { id: true, status: true } } },
    });
    return {
      ...sessionView(session),
      // Written only by SessionInventory, in this shape.
      inventory: (session.inventory as SessionInventoryView | null) ?? null,
      events: events.reverse().map((e) => ({
        event_id: e.eventId,
        kind: e.kind,
        tool: e.tool,
        input: e.input,
        rule_action: e.ruleAction,
        created_at: e.createdAt.toISOString(),
        verdict: e.verdict
          ? {
              decision: e.verdict.decision,
              reason: e.verdict.reason,
              source: e.verdict.source,
              review_id: e.verdict.reviewId,
              acked: e.verdict.ackedAt !== null,
              // Acks recorded before acks had a status were the 1.0 kind: received.
              ack_status: e.verdict.ackedAt === null ? null : (e.verdict.ackStatus ?? 'received'),
              edited: e.verdict.originalInputSha256 !== null,
              edited_input: e.verdict.originalInputSha256 !== null ? (e.verdict.editedInput ?? null) : null,
            }
          : null,
        review: e.review,
      })),
    };
  }
}
