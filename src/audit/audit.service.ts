import { Injectable } from '@nestjs/common';
import type { ActorType, Prisma } from '../generated/prisma/client.js';
import type { Principal } from '../auth/principal.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { decodeCursor, type Page, pageOf } from '../infra/http/pagination.js';
import { type ChainReport, verifyAuditChain } from './audit-chain-verifier.js';
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
  /** Entries about this project: the project itself, or anything whose details name it (keys, rules, webhooks…). */
  project?: string;
  since?: Date;
  /** Only entries before this time. */
  until?: Date;
}

/** How many rows an export reads per statement: memory stays at one batch whatever the table's size. */
const EXPORT_BATCH = 1000;

function whereOf(filter: AuditFilter): Prisma.AuditEntryWhereInput[] {
  const where: Prisma.AuditEntryWhereInput[] = [];
  if (filter.actor) where.push({ actorId: filter.actor });
  if (filter.action) where.push(filter.action.endsWith('.*') ? { action: { startsWith: filter.action.slice(0, -1) } } : { action: filter.action });
  if (filter.project) where.push({ OR: [{ targetType: 'project', targetId: filter.project }, { details: { path: ['project_id'], equals: filter.project } }] });
  if (filter.since) where.push({ at: { gte: filter.since } });
  if (filter.until) where.push({ at: { lt: filter.until } });
  return where;
}

/** After this position in (at, id) descending order; `at <=` first, so the index on `at` starts there, not at the top. */
function after(position: { at: Date; id: string }): Prisma.AuditEntryWhereInput {
  return { at: { lte: position.at }, OR: [{ at: { lt: position.at } }, { at: position.at, id: { lt: BigInt(position.id) } }] };
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
    const where = whereOf(filter);
    if (position) where.push(after(position));
    const rows = await this.prisma.auditEntry.findMany({ where: { AND: where }, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: limit + 1 });
    return pageOf(rows, limit, (e) => ({ at: e.at, id: e.id.toString() }), auditEntryView);
  }

  /**
   * Every entry the filter matches, newest first, as batches read one statement at a time by keyset pagination on
   * (at, id): the next batch is read only when the consumer asks for it, so an export of any size holds one batch.
   */
  async *exportBatches(filter: AuditFilter): AsyncGenerator<AuditEntryView[]> {
    let position: { at: Date; id: string } | undefined;
    for (;;) {
      const where = whereOf(filter);
      if (position) where.push(after(position));
      const rows = await this.prisma.auditEntry.findMany({ where: { AND: where }, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: EXPORT_BATCH });
      if (rows.length === 0) return;
      yield rows.map(auditEntryView);
      if (rows.length < EXPORT_BATCH) return;
      const last = rows[rows.length - 1];
      position = { at: last.at, id: last.id.toString() };
    }
  }

  /** Walks the hash chain from the anchor to the head (see verifyAuditChain). */
  verifyChain(): Promise<ChainReport> {
    return verifyAuditChain(this.prisma.pool);
  }
}
