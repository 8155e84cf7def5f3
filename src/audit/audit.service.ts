import { Injectable } from '@nestjs/common';
import type { ActorType, Prisma } from '../generated/prisma/client.js';
import type { Principal } from '../auth/principal.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { decodeCursor, type Page, pageOf } from '../infra/http/pagination.js';
import { type AuditEntryView, auditEntryView } from './dto/audit.dto.js';

export interface AuditActor {
  type: ActorType;
  id: string | null;
}

export interface AuditRecord {
  actor: AuditActor;
  /** Dotted verb, e.g. `auth.login`, `api_key.revoke`, `review.decide`. */
  action: string;
  target?: { type: string; id: string };
  details?: Record<string, unknown>;
  requestId?: string;
}

export interface AuditFilter {
  actor?: string;
  /** An exact action, or a prefix written `api_key.*`. */
  action?: string;
  since?: Date;
}

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null };

export function actorOf(principal: Principal): AuditActor {
  return principal.kind === 'user' ? { type: 'user', id: principal.userId } : { type: 'api_key', id: principal.apiKeyId };
}

/** Writes audit entries. Pass the transaction of the change being recorded, so both commit or neither does. */
@Injectable()
export class AuditService {
  constructor(private readonly prisma: PrismaService) {}

  async record(entry: AuditRecord, tx: Prisma.TransactionClient = this.prisma): Promise<void> {
    await tx.auditEntry.create({
      data: {
        actorType: entry.actor.type,
        actorId: entry.actor.id,
        action: entry.action,
        targetType: entry.target?.type ?? null,
        targetId: entry.target?.id ?? null,
        details: (entry.details ?? {}) as Prisma.InputJsonValue,
        requestId: entry.requestId ?? null,
      },
    });
  }

  /** Entries newest first, `limit` per page, after the cursor's position in (at, id) descending order. */
  async list(filter: AuditFilter, cursor: string | undefined, limit = 50): Promise<Page<AuditEntryView>> {
    const position = decodeCursor(cursor, /^\d{1,19}$/);
    const where: Prisma.AuditEntryWhereInput[] = [];
    if (filter.actor) where.push({ actorId: filter.actor });
    if (filter.action) where.push(filter.action.endsWith('.*') ? { action: { startsWith: filter.action.slice(0, -1) } } : { action: filter.action });
    if (filter.since) where.push({ at: { gte: filter.since } });
    if (position) where.push({ OR: [{ at: { lt: position.at } }, { at: position.at, id: { lt: BigInt(position.id) } }] });
    const rows = await this.prisma.auditEntry.findMany({ where: { AND: where }, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: limit + 1 });
    return pageOf(rows, limit, (e) => ({ at: e.at, id: e.id.toString() }), auditEntryView);
  }
}
