import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { ANY_JSON } from '../../infra/http/api-schema.js';
import { EVENT_KINDS, PutPolicyDto, RULE_ACTIONS } from './policy.dto.js';

/** An event typed by hand, to see what the draft makes of it. */
export class DryRunSampleDto {
  @ApiProperty({ enum: EVENT_KINDS })
  @IsIn(EVENT_KINDS)
  kind!: (typeof EVENT_KINDS)[number];

  @ApiPropertyOptional({ type: String, example: 'shell.exec', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/^[^\u0000-\u001f]+$/, { message: 'must not contain control characters' })
  tool?: string;

  @ApiPropertyOptional({ ...ANY_JSON, nullable: true, description: "The event's input, any JSON" })
  @Allow()
  input?: unknown;
}

/** `POST /api/projects/:id/rules/dry-run`: a draft policy (validated as PUT rules is) and, optionally, a sample event. */
export class DryRunDto extends PutPolicyDto {
  @ApiPropertyOptional({ type: DryRunSampleDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => DryRunSampleDto)
  sample?: DryRunSampleDto;
}

export const DRY_RUN_DECISIONS = ['allow', 'block', 'review'] as const;
type DryRunDecision = (typeof DRY_RUN_DECISIONS)[number];

export class DryRunSampleOutcome {
  @ApiProperty({ type: Number, nullable: true, description: "Index in the draft's `rules` of the rule that matched; null for the default action or an input not evaluated" })
  rule_index!: number | null;
  @ApiProperty({ enum: RULE_ACTIONS, description: "The rules' answer, before the project's mode" })
  rule_action!: DryRunDecision;
  @ApiProperty({ enum: DRY_RUN_DECISIONS, description: "What the agent would get under the project's current mode (`review`: held for a person)" })
  decision!: DryRunDecision;
  @ApiProperty()
  reason!: string;
  @ApiProperty({ description: 'The input was not evaluated (too large or too costly to test): the engine refuses such an event' })
  not_evaluated!: boolean;
}

export class DryRunChange {
  @ApiProperty({ format: 'uuid' })
  session_id!: string;
  @ApiProperty()
  event_id!: string;
  @ApiProperty({ enum: EVENT_KINDS })
  kind!: string;
  @ApiProperty({ type: String, nullable: true })
  tool!: string | null;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiProperty({ enum: DRY_RUN_DECISIONS, description: 'What was recorded (`review`: it was held for a person)' })
  recorded!: DryRunDecision;
  @ApiProperty({ enum: DRY_RUN_DECISIONS })
  draft!: DryRunDecision;
  @ApiProperty({ type: Number, nullable: true })
  rule_index!: number | null;
  @ApiProperty()
  reason!: string;
}

export class DryRunTally {
  @ApiProperty({ description: 'Events looked at: the project’s most recent, at most 1,000' })
  evaluated!: number;
  @ApiProperty({ description: 'Events the draft would block' })
  blocked!: number;
  @ApiProperty({ description: 'Events the draft would send to review' })
  reviewed!: number;
  @ApiProperty({ description: 'Events the draft would allow' })
  allowed!: number;
  @ApiProperty({ description: 'Events whose decision under the draft differs from the one recorded' })
  changed!: number;
  @ApiProperty({ description: 'Events whose input the engine would not evaluate (counted in `reviewed` or `blocked` as the mode makes them)' })
  not_evaluated!: number;
  @ApiProperty({ description: 'The time bound of a dry run was reached before every event was looked at' })
  stopped_early!: boolean;
  @ApiProperty({ type: [DryRunChange], description: 'Up to 20 of the changed events, newest first' })
  changed_examples!: DryRunChange[];
}

export class DryRunResult {
  @ApiProperty({ enum: ['monitor', 'block', 'hitl'], description: "The project's mode the decisions are made under" })
  mode!: string;
  @ApiProperty({ type: DryRunSampleOutcome, nullable: true })
  sample!: DryRunSampleOutcome | null;
  @ApiProperty({ type: DryRunTally })
  recent!: DryRunTally;
}
