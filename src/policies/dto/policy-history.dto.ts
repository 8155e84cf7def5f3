import { ApiProperty } from '@nestjs/swagger';
import { EVENT_KINDS, RULE_ACTIONS, TIMEOUT_DECISIONS } from './policy.dto.js';

export class RuleContentView {
  @ApiProperty({ type: String, enum: EVENT_KINDS, nullable: true })
  kind!: (typeof EVENT_KINDS)[number] | null;
  @ApiProperty({ type: String, nullable: true })
  tool!: string | null;
  @ApiProperty({ type: String, nullable: true })
  input_pattern!: string | null;
  @ApiProperty({ enum: RULE_ACTIONS })
  action!: (typeof RULE_ACTIONS)[number];
  @ApiProperty({ type: String, nullable: true })
  reason!: string | null;
  @ApiProperty({ type: String, enum: TIMEOUT_DECISIONS, nullable: true })
  timeout_decision!: (typeof TIMEOUT_DECISIONS)[number] | null;
}

export class RuleChangeView {
  @ApiProperty({ description: 'The position (from 0) that changed' })
  position!: number;
  @ApiProperty({ type: RuleContentView, nullable: true, description: 'null: a rule was added here' })
  before!: RuleContentView | null;
  @ApiProperty({ type: RuleContentView, nullable: true, description: 'null: the rule here was removed' })
  after!: RuleContentView | null;
}

export class PolicyChangeView {
  @ApiProperty({ description: "The audit entry's id" })
  id!: string;
  @ApiProperty({ format: 'date-time' })
  at!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The user id of who saved the rules' })
  actor_id!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Their email (null for a user since deleted)' })
  actor_email!: string | null;
  @ApiProperty({ enum: RULE_ACTIONS })
  default_action!: string;
  @ApiProperty({ type: String, enum: RULE_ACTIONS, nullable: true, description: 'null when not recorded (saves before history was kept)' })
  previous_default_action!: string | null;
  @ApiProperty()
  rule_count!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Positions that changed; `changes` lists at most 50 of them. null when not recorded' })
  change_count!: number | null;
  @ApiProperty({ type: [RuleChangeView] })
  changes!: RuleChangeView[];
}

export class PolicyHistory {
  @ApiProperty({ type: [PolicyChangeView], description: 'Newest first, at most 100' })
  items!: PolicyChangeView[];
}
