import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import { PageQuery } from '../../infra/http/pagination.js';

export class ListAgentSessionsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only sessions of this project' })
  @IsOptional()
  @IsUUID()
  project?: string;
}

export interface AgentSessionView {
  id: string;
  project_id: string;
  api_key_id: string;
  /** The client's own label for the session (its `session_id`). */
  external_id: string;
  agent_id: string | null;
  source: string | null;
  created_at: string;
  last_seen_at: string;
  /** A live connection holds the session's lease right now (on some instance). */
  connected: boolean;
}

export interface AgentEventView {
  event_id: string;
  kind: string;
  tool: string | null;
  input: unknown;
  rule_action: string;
  created_at: string;
  verdict: { decision: string; reason: string; source: string; review_id: string | null; acked: boolean } | null;
  review: { id: string; status: string } | null;
}
