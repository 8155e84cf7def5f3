import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ANY_JSON } from '../../infra/http/api-schema.js';
import type { ShareRow, ShareViewRow } from '../share-links.repository.js';

export const DEFAULT_EXPIRES_IN_SECONDS = 7 * 86400;
export const MAX_EXPIRES_IN_SECONDS = 90 * 86400;
export const MAX_VIEWS_LIMIT = 1_000_000;

/** Out-of-range values are refused, never clamped. */
export class CreateShareDto {
  @ApiPropertyOptional({ default: DEFAULT_EXPIRES_IN_SECONDS, minimum: 1, maximum: MAX_EXPIRES_IN_SECONDS, description: 'Lifetime of the link; at most 90 days' })
  @IsOptional()
  @IsInt({ message: 'must be a whole number of seconds' })
  @Min(1, { message: 'must be at least 1 second' })
  @Max(MAX_EXPIRES_IN_SECONDS, { message: `must be at most ${MAX_EXPIRES_IN_SECONDS} seconds (90 days)` })
  expires_in_seconds?: number;

  @ApiPropertyOptional({ type: Number, minimum: 1, maximum: MAX_VIEWS_LIMIT, nullable: true, description: 'Transcript views the link allows; omitted or null means no limit' })
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: 'must be at least 1' })
  @Max(MAX_VIEWS_LIMIT, { message: `must be at most ${MAX_VIEWS_LIMIT}` })
  max_views?: number | null;
}

export const SHARE_STATES = ['valid', 'expired', 'exhausted', 'revoked'] as const;
export type ShareState = (typeof SHARE_STATES)[number];

/** Revocation wins over expiry, expiry over exhaustion: the same order the 410 codes follow. */
export function shareState(row: Pick<ShareRow, 'revoked_at' | 'expired' | 'max_views' | 'view_count'>): ShareState {
  if (row.revoked_at) return 'revoked';
  if (row.expired) return 'expired';
  if (row.max_views !== null && row.view_count >= row.max_views) return 'exhausted';
  return 'valid';
}

/** Views left by count alone (null: unlimited); `state` says whether the link can be viewed at all. */
export function remainingViews(row: Pick<ShareRow, 'max_views' | 'view_count'>): number | null {
  return row.max_views === null ? null : Math.max(0, row.max_views - row.view_count);
}

export class CreatedShareView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) session_id!: string;
  @ApiProperty({ description: 'PUBLIC_URL/s/<token>: the page to send to viewers' }) url!: string;
  @ApiProperty({ description: 'Shown in this response only; only its SHA-256 is stored' }) token!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty({ nullable: true, type: Number }) max_views!: number | null;
}

export class ShareLinkView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) session_id!: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) created_by!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty({ nullable: true, type: Number }) max_views!: number | null;
  @ApiProperty() view_count!: number;
  @ApiProperty({ nullable: true, type: Number }) remaining_views!: number | null;
  @ApiProperty({ enum: SHARE_STATES }) state!: ShareState;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) revoked_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) revoked_by!: string | null;
}

export function shareLinkView(row: ShareRow): ShareLinkView {
  return {
    id: row.id,
    session_id: row.session_id,
    created_by: row.created_by,
    created_at: row.created_at.toISOString(),
    expires_at: row.expires_at.toISOString(),
    max_views: row.max_views,
    view_count: row.view_count,
    remaining_views: remainingViews(row),
    state: shareState(row),
    revoked_at: row.revoked_at?.toISOString() ?? null,
    revoked_by: row.revoked_by,
  };
}

export class ShareViewLogItem {
  @ApiProperty({ description: 'Sequence number, as a string' }) id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ description: 'HMAC-SHA256 of the client address with the server secret: equal addresses, equal hashes' }) client_hash!: string;
  @ApiProperty({ nullable: true, type: String }) user_agent!: string | null;
}

export function shareViewLogItem(row: ShareViewRow): ShareViewLogItem {
  return { id: row.id.toString(), at: row.at.toISOString(), client_hash: row.client_hash, user_agent: row.user_agent };
}

/** What `GET /api/public/shares/:token` tells anyone holding the token: no transcript, no project, no session. */
export class PublicShareStateView {
  @ApiProperty({ enum: SHARE_STATES }) state!: ShareState;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty({ nullable: true, type: Number }) remaining_views!: number | null;
}

export function publicShareStateView(row: ShareRow): PublicShareStateView {
  return { state: shareState(row), expires_at: row.expires_at.toISOString(), remaining_views: remainingViews(row) };
}

export class ShareLinkPage {
  @ApiProperty({ type: [ShareLinkView] }) items!: ShareLinkView[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}

export class ShareViewLogPage {
  @ApiProperty({ type: [ShareViewLogItem] }) items!: ShareViewLogItem[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}

export class TranscriptVerdict {
  @ApiProperty({ enum: ['allow', 'block'] }) decision!: string;
  @ApiProperty() reason!: string;
  @ApiProperty({ enum: ['policy', 'review', 'timeout'] }) source!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['received', 'discarded'],
    description: "The agent's ack: received (acted on), discarded (came after its caller gave up: nothing was acted on), or null (not acknowledged)",
  })
  ack_status!: 'received' | 'discarded' | null;
  @ApiProperty({ description: 'A reviewer approved an edited input (the agent ran the edit, not its own input)' }) edited!: boolean;
}

export class TranscriptReview {
  @ApiProperty({ enum: ['pending', 'approved', 'denied', 'expired', 'withdrawn'] }) status!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) decided_at!: string | null;
}

export class TranscriptEvent {
  @ApiProperty() event_id!: string;
  @ApiProperty({ enum: ['tool', 'llm'] }) kind!: string;
  @ApiProperty({ type: String, nullable: true }) tool!: string | null;
  @ApiProperty({ type: String, nullable: true }) agent_id!: string | null;
  @ApiProperty({ ...ANY_JSON, nullable: true, description: 'The input, with the values of the project\'s redact_keys replaced by "[redacted]"' }) input!: unknown;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: TranscriptVerdict, nullable: true }) verdict!: TranscriptVerdict | null;
  @ApiProperty({ type: TranscriptReview, nullable: true }) review!: TranscriptReview | null;
}

export class TranscriptProject {
  @ApiProperty() name!: string;
}

export class TranscriptSession {
  @ApiProperty({ description: "The agent's own label for the session" }) label!: string;
  @ApiProperty({ type: String, nullable: true }) agent_id!: string | null;
  @ApiProperty({ type: String, nullable: true }) source!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class TranscriptShare {
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty({ type: Number, nullable: true }) max_views!: number | null;
  @ApiProperty() view_count!: number;
  @ApiProperty({ type: Number, nullable: true }) remaining_views!: number | null;
}

export class Transcript {
  @ApiProperty({ type: TranscriptProject }) project!: TranscriptProject;
  @ApiProperty({ type: TranscriptSession }) session!: TranscriptSession;
  @ApiProperty({ type: TranscriptShare }) share!: TranscriptShare;
  @ApiProperty({ type: [TranscriptEvent] }) events!: TranscriptEvent[];
  @ApiProperty({ description: 'True when the session has more events than a transcript carries' }) truncated!: boolean;
}
