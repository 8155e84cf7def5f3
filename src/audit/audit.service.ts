import { Injectable } from '@nestjs/common';
import type { ActorType, Prisma } from '../generated/prisma/client.js';
import type { Principal } from '../auth/principal.js';
import { PrismaService } from '../infra/database/prisma.service.js';

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
}
