import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { ANY_JSON } from '../../infra/http/api-schema.js';
import { PageQuery } from '../../infra/http/pagination.js';

export class ListAgentSessionsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only sessions of this project' })
  @IsOptional()
  @IsUUID()
  project?: string;

  @ApiPropertyOptional({ enum: ['live', 'ended'], description: 'live: a connection holds the session now; ended: none does' })
  @IsOptional()
  @IsIn(['live', 'ended'])
  state?: 'live' | 'ended';

  @ApiPropertyOptional({ description: "Only sessions whose label (the agent's `session_id`) contains this text, case-insensitive" })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  label?: string;

  @ApiPropertyOptional({ description: 'Only sessions seen at or after this time (ISO-8601)', example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ description: 'Only sessions started at or before this time (ISO-8601)', example: '2026-01-02T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;
}

export class AgentSessionView {
  @ApiProperty({ format: 'uuid', description: 'The server-owned session id' })
  id!: string;
  @ApiProperty({ format: 'uuid' })
  project_id!: string;
  @ApiProperty({ format: 'uuid' })
  api_key_id!: string;
  @ApiProperty({ description: "The agent's own label for the session (its login `session_id`)" })
  external_id!: string;
  @ApiProperty({ type: String, nullable: true })
  agent_id!: string | null;
  @ApiProperty({ type: String, nullable: true })
  source!: string | null;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiProperty({ format: 'date-time' })
  last_seen_at!: string;
  @ApiProperty({ description: "A live connection holds the session's lease right now (on some instance)" })
  connected!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Set when a person ended the session (POST /api/sessions/:id/end): no login claims it again' })
  ended_at!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The email of who ended it' })
  ended_by!: string | null;
}

export class AgentSessionPage {
  @ApiProperty({ type: [AgentSessionView] })
  items!: AgentSessionView[];
  @ApiProperty({ type: String, nullable: true })
  next_cursor!: string | null;
}

export class AgentEventVerdictView {
  @ApiProperty({ enum: ['allow', 'block'] })
  decision!: string;
  @ApiProperty()
  reason!: string;
  @ApiProperty({ enum: ['policy', 'review', 'timeout'] })
  source!: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  review_id!: string | null;
  @ApiProperty({ description: 'The agent acknowledged it (received or discarded)' })
  acked!: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['received', 'discarded'],
    description: 'How the agent acknowledged it: received (acted on), discarded (its caller had given up: nothing was acted on); null until acked',
  })
  ack_status!: 'received' | 'discarded' | null;
  @ApiProperty({ description: 'A reviewer approved an edited input: edited_input is what the agent was told to run' })
  edited!: boolean;
  @ApiProperty({ ...ANY_JSON, nullable: true, description: 'The edited input of an edited approval, else null' })
  edited_input!: unknown;
}

export class AgentEventReviewView {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ enum: ['pending', 'approved', 'denied', 'expired', 'withdrawn'] })
  status!: string;
}

export class AgentEventView {
  @ApiProperty()
  event_id!: string;
  @ApiProperty({ enum: ['tool', 'llm'] })
  kind!: string;
  @ApiProperty({ type: String, nullable: true })
  tool!: string | null;
  @ApiProperty({ ...ANY_JSON, nullable: true, description: 'The input as the agent sent it' })
  input!: unknown;
  @ApiProperty({ enum: ['allow', 'block', 'review'], description: 'What the rules said' })
  rule_action!: string;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiProperty({ type: AgentEventVerdictView, nullable: true })
  verdict!: AgentEventVerdictView | null;
  @ApiProperty({ type: AgentEventReviewView, nullable: true })
  review!: AgentEventReviewView | null;
}

export class SessionInventoryServerView {
  @ApiProperty({ description: "The MCP server's name, as its initialize answer says" })
  name!: string;
  @ApiProperty({ type: String, nullable: true })
  version!: string | null;
}

export class SessionInventoryToolView {
  @ApiProperty({ description: 'As the events name it: the gateway\'s --name prefix, a dot, the MCP tool name', example: 'fs.write_file' })
  name!: string;
  @ApiProperty({ type: String, nullable: true })
  description!: string | null;
}

export class SessionInventoryView {
  @ApiProperty({ type: SessionInventoryServerView })
  server!: SessionInventoryServerView;
  @ApiProperty({ type: [SessionInventoryToolView] })
  tools!: SessionInventoryToolView[];
  @ApiProperty({ format: 'date-time' })
  reported_at!: string;
}

export class AgentSessionDetailView extends AgentSessionView {
  @ApiProperty({
    type: SessionInventoryView,
    nullable: true,
    description: "The tools the session can reach, as its MCP gateway (arbiter-mcp) last reported its server's tools/list; null when none was reported",
  })
  inventory!: SessionInventoryView | null;
  @ApiProperty({ type: [AgentEventView], description: 'Its latest events (up to 100), oldest first' })
  events!: AgentEventView[];
}
