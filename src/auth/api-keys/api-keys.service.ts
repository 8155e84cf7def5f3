import { Injectable } from '@nestjs/common';
import { notifyOnCommit } from '../../infra/notify/notify-channel.js';
import { ApiProperty } from '@nestjs/swagger';
import type { ApiKey } from '../../generated/prisma/client.js';
import { AuditService, type AuditActor } from '../../audit/audit.service.js';
import { AppError } from '../../infra/errors/error-catalogue.js';
import { digestsEqual, sha256Hex } from '../../infra/crypto/tokens.js';
import { PrismaService } from '../../infra/database/prisma.service.js';
import { UUID_ID, decodeCursor, type Page, pageOf } from '../../infra/http/pagination.js';
import { PgNotifyService } from '../../infra/notify/pg-notify.service.js';
import { KeyedMicroBatcher } from '../../infra/scheduling/micro-batcher.js';
import type { ApiKeyPrincipal } from '../principal.js';
import { apiKeyRevokedChannel } from './api-key-events.js';
import { newApiKey, parseApiKey } from './api-key-format.js';

const LAST_USED_EVERY_MS = 60_000;

export class ApiKeyView {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uuid' })
  project_id!: string;
  @ApiProperty()
  name!: string;
  @ApiProperty({ description: 'The public part of the key: arb_<prefix>_…' })
  prefix!: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  created_by!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "The creator's email (null once that user is deleted, or for a key not made by a person)" })
  created_by_email!: string | null;
  @ApiProperty({ format: 'date-time', description: 'ISO-8601 UTC' })
  created_at!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  last_used_at!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  revoked_at!: string | null;
  @ApiProperty({ description: "Agent sessions holding a live lease under this key now, on every instance (0 in a create's answer)" })
  live_connections!: number;
}

export class CreatedApiKey extends ApiKeyView {
  @ApiProperty({ description: 'The full key, arb_<prefix>_<secret>. Shown in this response only; store it now.' })
  key!: string;
}

export class ApiKeyPage {
  @ApiProperty({ type: [ApiKeyView] })
  items!: ApiKeyView[];
  @ApiProperty({ type: String, nullable: true })
  next_cursor!: string | null;
}

export function apiKeyView(key: ApiKey, extra: { createdByEmail: string | null; liveConnections: number }): ApiKeyView {
  return {
    id: key.id,
    project_id: key.projectId,
    name: key.name,
    prefix: key.prefix,
    created_by: key.createdById,
    created_by_email: extra.createdByEmail,
    created_at: key.createdAt.toISOString(),
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
    revoked_at: key.revokedAt?.toISOString() ?? null,
    live_connections: extra.liveConnections,
  };
}

/** A row of the key list: the key, its creator's email and its live connections, from one statement. */
interface ListedKeyRow {
  id: string;
  project_id: string;
  name: string;
  prefix: string;
  created_by: string | null;
  created_by_email: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  live_connections: number;
}

function listedKeyView(row: ListedKeyRow): ApiKeyView {
  return {
    id: row.id,
    project_id: row.project_id,
    name: row.name,
    prefix: row.prefix,
    created_by: row.created_by,
    created_by_email: row.created_by_email,
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
    live_connections: row.live_connections,
  };
}

interface KeyRow {
  id: string;
  project_id: string;
  secret_hash: string;
}

@Injectable()
export class ApiKeysService {
  private readonly touchedAt = new Map<string, number>();
  /**
   * The live key with a prefix, read by one statement for all the logins of that key that arrived while the previous
   * read ran (a login storm on one key is one read per round, not one per login). A login never shares a read that
   * started before it arrived, so a revocation committed before a login began is always seen by it.
   */
  private readonly lookups = new KeyedMicroBatcher<undefined, KeyRow | undefined>(async (prefix, logins) => {
    // Every agent login runs this: a prepared statement on the pool, not an ORM round trip.
    const { rows } = await this.prisma.pool.query<KeyRow>({
      name: 'arbiter_api_key_by_prefix',
      text: 'SELECT id, project_id, secret_hash FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL',
      values: [prefix],
    });
    return logins.map(() => rows[0]);
  }, 1000);
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly notify: PgNotifyService,
  ) {}

  /** Creates a key; the full key is in the result only, never stored or shown again. */
  async create(projectId: string, name: string, actor: AuditActor, requestId?: string): Promise<CreatedApiKey> {
    const { prefix, secret, key } = newApiKey();
    const row = await this.prisma.$transaction(async (tx) => {
      const project = await tx.project.findUnique({ where: { id: projectId }, select: { id: true } });
      if (!project) throw new AppError('not_found', 'project not found');
      const created = await tx.apiKey.create({
        data: { projectId, name, prefix, secretHash: sha256Hex(secret), createdById: actor.type === 'user' ? actor.id : null },
      });
      await this.audit.record({ actor, action: 'api_key.create', target: { type: 'api_key', id: created.id }, details: { project_id: projectId, name, prefix }, requestId }, tx);
      return { created, createdByEmail: actor.type === 'user' ? ((await tx.user.findUnique({ where: { id: actor.id! }, select: { email: true } }))?.email ?? null) : null };
    });
    return { ...apiKeyView(row.created, { createdByEmail: row.createdByEmail, liveConnections: 0 }), key };
  }

  /**
   * The project's keys, newest first; never their secrets. One statement for the page: each key's creator by join,
   * and its live connections (sessions whose lease has not run out, whichever instance holds them) by a lateral count
   * over the (api_key_id, …) index, not a query per key.
   */
  async list(projectId: string, cursor: string | undefined, limit = 50): Promise<Page<ApiKeyView>> {
    const position = decodeCursor(cursor, UUID_ID);
    const project = await this.prisma.project.findUnique({ where: { id: projectId }, select: { id: true } });
    if (!project) throw new AppError('not_found', 'project not found');
    const rows = await this.prisma.$queryRaw<ListedKeyRow[]>`
      SELECT k.id::text AS id, k.project_id::text AS project_id, k.name, k.prefix, k.created_by::text AS created_by,
             u.email AS created_by_email, k.created_at, k.last_used_at, k.revoked_at, live.n AS live_connections
        FROM api_keys k
        LEFT JOIN users u ON u.id = k.created_by
        CROSS JOIN LATERAL (SELECT count(*)::int AS n FROM agent_sessions s WHERE s.api_key_id = k.id AND s.lease_expires_at > now()) live
       WHERE k.project_id = ${projectId}::uuid
         AND (${position?.at ?? null}::timestamptz IS NULL OR (k.created_at, k.id) < (${position?.at ?? null}::timestamptz, ${position?.id ?? null}::uuid))
       ORDER BY k.created_at DESC, k.id DESC
       LIMIT ${limit + 1}::int`;
    return pageOf(rows, limit, (k) => ({ at: k.created_at, id: k.id }), listedKeyView);
  }

  /**
   * Revokes a key: refused at once everywhere (every authentication reads the row), and the NOTIFY sent on commit
   * makes every instance close the key's live WebSockets.
   */
  async revoke(id: string, actor: AuditActor, requestId?: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const key = await tx.apiKey.findUnique({ where: { id } });
      if (!key) throw new AppError('not_found', 'API key not found');
      if (key.revokedAt) return;
      await tx.apiKey.update({ where: { id }, data: { revokedAt: new Date(), revokedById: actor.type === 'user' ? actor.id : null } });
      await this.audit.record({ actor, action: 'api_key.revoke', target: { type: 'api_key', id }, details: { project_id: key.projectId, prefix: key.prefix }, requestId }, tx);
      await notifyOnCommit(tx, apiKeyRevokedChannel, { api_key_id: id });
    });
  }

  /** The agent behind a full key, if the key exists and is not revoked. Comparison is constant-time. */
  async authenticate(key: string): Promise<ApiKeyPrincipal | undefined> {
    const parsed = parseApiKey(key);
    if (!parsed) return undefined;
    const row = await this.lookups.submit(parsed.prefix, undefined);
    if (!row || !digestsEqual(row.secret_hash, sha256Hex(parsed.secret))) return undefined;
    this.touch(row.id);
    return { kind: 'api_key', apiKeyId: row.id, projectId: row.project_id };
  }

  /**
   * Bookkeeping only (last_used_at, to the minute): at most one write per key per instance per minute, and only when
   * the stored value is older, so a login storm on one key does not queue thousands of updates on its row.
   */
  private touch(apiKeyId: string): void {
    const now = Date.now();
    if (now - (this.touchedAt.get(apiKeyId) ?? 0) < LAST_USED_EVERY_MS) return;
    this.touchedAt.set(apiKeyId, now);
    if (this.touchedAt.size > 10_000) this.touchedAt.clear();
    void this.prisma.pool
      .query({
        name: 'arbiter_api_key_touch',
        text: "UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')",
        values: [apiKeyId],
      })
      .catch(() => undefined);
  }

  /** True while the key exists and is not revoked; sessions re-check before accepting events. */
  async isActive(apiKeyId: string): Promise<boolean> {
    const row = await this.prisma.apiKey.findUnique({ where: { id: apiKeyId }, select: { revokedAt: true } });
    return !!row && !row.revokedAt;
  }

  subscribeRevocations(handler: (apiKeyId: string) => void): () => void {
    return this.notify.subscribe(apiKeyRevokedChannel, (payload) => handler(payload.api_key_id));
  }
}
