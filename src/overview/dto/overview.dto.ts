import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';

export const OVERVIEW_RANGES = ['24h', '7d'] as const;
export type OverviewRange = (typeof OVERVIEW_RANGES)[number];

/** `GET /api/overview?project=&range=` */
export class OverviewQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this project' })
  @IsOptional()
  @IsUUID()
  project?: string;

  @ApiPropertyOptional({ enum: OVERVIEW_RANGES, default: '24h', description: 'The window back from now' })
  @IsOptional()
  @IsIn(OVERVIEW_RANGES)
  range?: OverviewRange;
}

export class OverviewTotals {
  @ApiProperty({ type: 'integer', description: 'Events in the window' })
  events!: number;
  @ApiProperty({ type: 'integer', description: 'Events in the window whose verdict was block' })
  blocks!: number;
  @ApiProperty({ type: 'integer', description: 'Reviews waiting now, whenever raised' })
  pending_reviews!: number;
  @ApiProperty({ type: 'integer', description: 'Sessions with an agent connected now' })
  live_sessions!: number;
}

export class OverviewHour {
  @ApiProperty({ format: 'date-time', description: 'Start of the hour (UTC)' })
  hour!: string;
  @ApiProperty({ type: 'integer' })
  allow!: number;
  @ApiProperty({ type: 'integer' })
  block!: number;
  @ApiProperty({ type: 'integer', description: 'No verdict yet (waiting for a review)' })
  pending!: number;
}

export class OverviewDecisionTime {
  @ApiProperty({ example: '2026-11-30', description: 'The day the reviews were raised (UTC)' })
  day!: string;
  @ApiProperty({ type: 'integer', description: 'Reviews a person decided' })
  decided!: number;
  @ApiProperty({ type: 'number', description: 'Median seconds from raised to decided' })
  p50_seconds!: number;
  @ApiProperty({ type: 'number', description: '95th percentile seconds from raised to decided' })
  p95_seconds!: number;
}

export class OverviewExpiries {
  @ApiProperty({ example: '2026-11-30', description: 'The day the review window closed (UTC)' })
  day!: string;
  @ApiProperty({ type: 'integer' })
  expired!: number;
}

export class OverviewBlockedTool {
  @ApiProperty()
  tool!: string;
  @ApiProperty({ type: 'integer' })
  blocks!: number;
}

export class OverviewBlockingRule {
  @ApiProperty({ format: 'uuid' })
  rule_id!: string;
  @ApiProperty({ type: String, nullable: true, description: "The rule's reason when it blocked" })
  reason!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "The rule's tool glob when it blocked" })
  tool!: string | null;
  @ApiProperty({ type: 'integer' })
  blocks!: number;
}

export class OverviewAgent {
  @ApiProperty({ type: String, nullable: true, description: 'null: events sent without an agent_id' })
  agent_id!: string | null;
  @ApiProperty({ type: 'integer' })
  events!: number;
  @ApiProperty({ type: 'integer' })
  blocks!: number;
}

export class OverviewView {
  @ApiProperty({ enum: OVERVIEW_RANGES })
  range!: OverviewRange;
  @ApiProperty({ format: 'date-time', description: 'Start of the window' })
  since!: string;
  @ApiProperty({ type: OverviewTotals })
  totals!: OverviewTotals;
  @ApiProperty({ type: [OverviewHour], description: 'Every hour of the window, oldest first' })
  events_per_hour!: OverviewHour[];
  @ApiProperty({ type: [OverviewDecisionTime], description: 'Days with decided reviews, oldest first' })
  decision_times!: OverviewDecisionTime[];
  @ApiProperty({ type: [OverviewExpiries], description: 'Days with expired reviews, oldest first' })
  expiries!: OverviewExpiries[];
  @ApiProperty({ type: [OverviewBlockedTool], description: 'At most 5, most blocks first' })
  top_blocked_tools!: OverviewBlockedTool[];
  @ApiProperty({ type: [OverviewBlockingRule], description: 'At most 5, most blocks first' })
  top_blocking_rules!: OverviewBlockingRule[];
  @ApiProperty({ type: [OverviewAgent], description: 'At most 5, most events first' })
  most_active_agents!: OverviewAgent[];
}
