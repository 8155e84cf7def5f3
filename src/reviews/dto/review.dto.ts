import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { ANY_JSON } from '../../infra/http/api-schema.js';
import { PageQuery } from '../../infra/http/pagination.js';
import { PolicyRuleView } from '../../policies/dto/policy.dto.js';
import type { RecentEventRow, ReviewDetailRow, ReviewRow } from '../reviews.repository.js';

export const REVIEW_STATUSES = ['pending', 'approved', 'denied', 'expired', 'withdrawn'] as const;
export const REVIEW_DECISIONS = ['approve', 'deny'] as const;

/** `GET /api/reviews?status=&project=&session=&cursor=&limit=` */
export class ReviewListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: REVIEW_STATUSES })
  @IsOptional()
  @IsIn(REVIEW_STATUSES)
  status?: (typeof REVIEW_STATUSES)[number];

  @ApiPropertyOptional({ format: 'uuid', description: 'Only this project' })
  @IsOptional()
  @IsUUID()
  project?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only this agent session (the server-owned id)' })
  @IsOptional()
  @IsUUID()
  session?: string;
}

export class DecideReviewDto {
  @ApiProperty({ enum: REVIEW_DECISIONS, description: 'approve → the agent gets allow; deny → block' })
  @IsIn(REVIEW_DECISIONS)
  decision!: (typeof REVIEW_DECISIONS)[number];

  @ApiPropertyOptional({
    maxLength: 2000,
    description: 'Kept with the review, and passed to the agent in the verdict reason (for an edited approval it is the reason, default "approved with edits")',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;

  @ApiPropertyOptional({
    ...ANY_JSON,
    description:
      "Edit-then-approve: the input the agent should run instead of its own (any JSON, checked like an event's input: at most the agents' " +
      'frame size, 64 levels deep, no \\u0000). Only with approve (400 otherwise), and only where the project\'s allow_edits is on (400 edits_not_allowed)',
  })
  @Allow()
  input?: unknown;
}

export class ExtendReviewDto {
  @ApiProperty({ minimum: 1, maximum: 604800, description: "Seconds to add to the deadline; the whole window may not exceed the project's review_max_timeout_seconds" })
  @IsInt()
  @Min(1)
  @Max(604800)
  seconds!: number;
}

export class ReviewVerdictView {
  @ApiProperty({ enum: ['allow', 'block'] })
  decision!: string;
  @ApiProperty({ enum: ['review', 'timeout'] })
  source!: string;
  @ApiProperty()
  reason!: string;
}

export class ReviewView {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uuid' })
  project_id!: string;
  @ApiProperty({ format: 'uuid', description: 'The server-owned agent session id' })
  session_id!: string;
  @ApiProperty({ description: "The agent's own label for its session" })
  session_external_id!: string;
  @ApiProperty({ description: "The agent's event_id" })
  event_id!: string;
  @ApiProperty({ enum: ['tool', 'llm'] })
  kind!: string;
  @ApiProperty({ type: String, nullable: true })
  tool!: string | null;
  @ApiProperty({ enum: REVIEW_STATUSES })
  status!: string;
  @ApiProperty({ type: String, nullable: true, description: "The matching rule's reason" })
  reason!: string | null;
  @ApiProperty({ enum: ['allow', 'block'], description: 'The verdict if nobody decides in time' })
  timeout_decision!: string;
  @ApiProperty({ description: "SHA-256 of the event's canonical content; every verdict for it carries the same value" })
  input_sha256!: string;
  @ApiProperty({ format: 'date-time', description: 'ISO-8601 UTC' })
  created_at!: string;
  @ApiProperty({ format: 'date-time', description: 'ISO-8601 UTC' })
  expires_at!: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  decided_by!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'ISO-8601 UTC' })
  decided_at!: string | null;
  @ApiProperty({ type: String, nullable: true })
  note!: string | null;
  @ApiProperty({ type: ReviewVerdictView, nullable: true })
  verdict!: ReviewVerdictView | null;
  @ApiProperty({ type: String, nullable: true, description: "Why the agent withdrew the review (its cancel's reason), when it gave one" })
  withdrawn_reason!: string | null;
  @ApiProperty({ description: 'The review was approved with an edited input (edited_input is what the agent was told to run)' })
  edited!: boolean;
  @ApiProperty({ ...ANY_JSON, nullable: true, description: 'The edited input of an edited approval, else null' })
  edited_input!: unknown;
  @ApiProperty({ type: String, nullable: true, description: "SHA-256 of the edited event's canonical content (the verdict's input_sha256), else null" })
  edited_input_sha256!: string | null;
  @ApiProperty({ description: "The project's allow_edits now: whether a reviewer may approve with an edited input" })
  allow_edits!: boolean;
}

export class ReviewPage {
  @ApiProperty({ type: [ReviewView] })
  items!: ReviewView[];
  @ApiProperty({ type: String, nullable: true })
  next_cursor!: string | null;
}

export class ReviewEventView {
  @ApiProperty({ description: "The agent's event_id" })
  event_id!: string;
  @ApiProperty({ enum: ['tool', 'llm'] })
  kind!: string;
  @ApiProperty({ type: String, nullable: true })
  tool!: string | null;
  @ApiProperty({ ...ANY_JSON, nullable: true, description: 'The full input as the agent sent it' })
  input!: unknown;
  @ApiProperty({ type: String, nullable: true })
  agent_id!: string | null;
  @ApiProperty({ format: 'date-time', description: 'ISO-8601 UTC' })
  created_at!: string;
}

export class RecentEventView {
  @ApiProperty()
  event_id!: string;
  @ApiProperty({ enum: ['tool', 'llm'] })
  kind!: string;
  @ApiProperty({ type: String, nullable: true })
  tool!: string | null;
  @ApiProperty({ ...ANY_JSON, nullable: true })
  input!: unknown;
  @ApiProperty({ format: 'date-time', description: 'ISO-8601 UTC' })
  created_at!: string;
  @ApiProperty({ enum: ['allow', 'block', 'review'], description: 'What the rules said' })
  rule_action!: string;
  @ApiProperty({ type: String, nullable: true, enum: ['allow', 'block'] })
  decision!: string | null;
  @ApiProperty({ type: String, nullable: true, enum: ['policy', 'review', 'timeout'] })
  source!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  review_id!: string | null;
  @ApiProperty({ type: String, nullable: true, enum: REVIEW_STATUSES })
  review_status!: string | null;
}

export class ReviewDetailView extends ReviewView {
  @ApiProperty({ type: ReviewEventView })
  event!: ReviewEventView;
  @ApiProperty({ type: PolicyRuleView, nullable: true, description: 'The rule that asked for review, as it was then' })
  rule!: unknown;
  @ApiProperty({ type: [RecentEventView], description: "The session's events before this one, oldest first (up to 20)" })
  recent_events!: RecentEventView[];
  @ApiProperty({ description: "Whether the session's agent holds a live connection right now (any instance)" })
  agent_connected!: boolean;
}

export class DecisionVerdictView {
  @ApiProperty()
  event_id!: string;
  @ApiProperty({ enum: ['allow', 'block'] })
  decision!: string;
  @ApiProperty()
  reason!: string;
  @ApiProperty({ enum: ['review'] })
  source!: string;
  @ApiProperty({ format: 'uuid' })
  review_id!: string;
  @ApiProperty({ description: "SHA-256 of the event's canonical content; for an edited approval, of the edited one" })
  input_sha256!: string;
  @ApiPropertyOptional({ enum: [true], description: 'Present (true) only on an edited approval' })
  edited?: true;
  @ApiPropertyOptional({ ...ANY_JSON, description: 'An edited approval: the input the agent runs' })
  input?: unknown;
  @ApiPropertyOptional({ description: 'An edited approval: SHA-256 of what the agent sent' })
  original_input_sha256?: string;
}

export class DecisionResultView {
  @ApiProperty({ type: ReviewView })
  review!: ReviewView;
  @ApiProperty({ type: DecisionVerdictView, description: 'The verdict the agent receives (now, or when it reconnects)' })
  verdict!: DecisionVerdictView;
  @ApiProperty({ description: 'Whether the agent is connected right now; the verdict is delivered either way' })
  agent_connected!: boolean;
}

export function reviewView(r: ReviewRow): ReviewView {
  return {
    id: r.id,
    project_id: r.project_id,
    session_id: r.session_id,
    session_external_id: r.session_external_id,
    event_id: r.event_id,
    kind: r.kind,
    tool: r.tool,
    status: r.status,
    reason: r.rule_reason,
    timeout_decision: r.timeout_decision,
    input_sha256: r.input_sha256,
    created_at: r.created_at.toISOString(),
    expires_at: r.expires_at.toISOString(),
    decided_by: r.decided_by,
    decided_at: r.decided_at?.toISOString() ?? null,
    note: r.note,
    verdict: r.verdict_decision && r.verdict_source ? { decision: r.verdict_decision, source: r.verdict_source, reason: r.verdict_reason ?? '' } : null,
    withdrawn_reason: r.withdrawn_reason,
    edited: r.verdict_edited,
    edited_input: r.verdict_edited ? (r.edited_input ?? null) : null,
    edited_input_sha256: r.edited_input_sha256,
    allow_edits: r.allow_edits,
  };
}

export function recentEventView(e: RecentEventRow): RecentEventView {
  return {
    event_id: e.event_id,
    kind: e.kind,
    tool: e.tool,
    input: e.input ?? null,
    created_at: e.created_at.toISOString(),
    rule_action: e.rule_action,
    decision: e.decision,
    source: e.source,
    review_id: e.review_id,
    review_status: e.review_status,
  };
}

export function reviewDetailView(r: ReviewDetailRow, recent: RecentEventRow[]): ReviewDetailView {
  return {
    ...reviewView(r),
    event: { event_id: r.event_id, kind: r.kind, tool: r.tool, input: r.input ?? null, agent_id: r.agent_id, created_at: r.event_created_at.toISOString() },
    rule: r.rule_snapshot ?? null,
    recent_events: recent.map(recentEventView),
    agent_connected: r.agent_connected,
  };
}
