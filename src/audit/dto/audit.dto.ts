import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import type { AuditEntry } from '../../generated/prisma/client.js';
import { PageQuery } from '../../infra/http/pagination.js';
import type { AuditFilter } from '../audit.service.js';

/** The filters the list and the export share. */
export class AuditFilterQuery {
  @ApiPropertyOptional({ description: 'Only entries by this actor id (a user id or an API key id)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  actor?: string;

  @ApiPropertyOptional({ description: 'Only this action (`auth.login`), or every action under a prefix (`api_key.*`)', example: 'auth.login' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/^[a-z0-9_.]+(\.\*)?$/, { message: 'must be an action name such as auth.login, or a prefix such as api_key.*' })
  action?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "Only entries about this project: the project itself, or whatever names it in its details (keys, rules, webhooks, …)" })
  @IsOptional()
  @IsUUID()
  project?: string;

  @ApiPropertyOptional({ description: 'Only entries at or after this time (ISO-8601)', example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ description: 'Only entries before this time (ISO-8601)', example: '2026-02-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;
}

/** `GET /api/audit?actor=&action=&project=&since=&until=&cursor=&limit=` */
export class AuditQuery extends IntersectionType(PageQuery, AuditFilterQuery) {}

export const AUDIT_EXPORT_FORMATS = ['csv', 'jsonl'] as const;

/** `GET /api/audit/export?format=csv|jsonl&…the list's filters` */
export class AuditExportQuery extends AuditFilterQuery {
  @ApiProperty({ enum: AUDIT_EXPORT_FORMATS })
  @IsIn(AUDIT_EXPORT_FORMATS)
  format!: (typeof AUDIT_EXPORT_FORMATS)[number];
}

/** What the filters mean to the service. */
export function auditFilterOf(query: AuditFilterQuery): AuditFilter {
  return {
    actor: query.actor,
    action: query.action,
    project: query.project,
    since: query.since ? new Date(query.since) : undefined,
    until: query.until ? new Date(query.until) : undefined,
  };
}

export class AuditEntryView {
  @ApiProperty({ description: 'Sequence number, as a string' })
  id!: string;
  @ApiProperty({ enum: ['user', 'api_key', 'system', 'anonymous'] })
  actor_type!: string;
  @ApiProperty({ type: String, nullable: true })
  actor_id!: string | null;
  @ApiProperty({ example: 'api_key.revoke' })
  action!: string;
  @ApiProperty({ type: String, nullable: true })
  target_type!: string | null;
  @ApiProperty({ type: String, nullable: true })
  target_id!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true })
  details!: unknown;
  @ApiProperty({ format: 'date-time', description: 'ISO-8601 UTC' })
  at!: string;
  @ApiProperty({ type: String, nullable: true })
  request_id!: string | null;
}

export class AuditPage {
  @ApiProperty({ type: [AuditEntryView] })
  items!: AuditEntryView[];
  @ApiProperty({ type: String, nullable: true })
  next_cursor!: string | null;
}

export function auditEntryView(entry: AuditEntry): AuditEntryView {
  return {
    id: entry.id.toString(),
    actor_type: entry.actorType,
    actor_id: entry.actorId,
    action: entry.action,
    target_type: entry.targetType,
    target_id: entry.targetId,
    details: entry.details,
    at: entry.at.toISOString(),
    request_id: entry.requestId,
  };
}
