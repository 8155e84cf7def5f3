import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';
import type { RuleSnapshot } from '../policy-engine.js';

export const RULE_ACTIONS = ['allow', 'block', 'review'] as const;
export const EVENT_KINDS = ['tool', 'llm'] as const;
export const TIMEOUT_DECISIONS = ['allow', 'block'] as const;
export const MAX_RULES = 500;

/** One rule. Every field but `action` is optional; a rule matches when every field it sets matches. */
export class PolicyRuleDto {
  @ApiPropertyOptional({ enum: EVENT_KINDS, nullable: true, description: 'Only events of this kind' })
  @IsOptional()
  @IsIn(EVENT_KINDS)
  kind?: (typeof EVENT_KINDS)[number] | null;

  @ApiPropertyOptional({
    type: String,
    example: 'shell.*',
    nullable: true,
    maxLength: 200,
    description: 'Glob over the whole tool name: `*` any run of characters (dots included), `?` one character. Never matches an event without a tool.',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_.*?:/-]+$/, { message: 'may contain only letters, digits and _ . * ? : / -' })
  tool?: string | null;

  @ApiPropertyOptional({
    type: String,
    example: 'rm -rf',
    nullable: true,
    maxLength: 1000,
    description:
      "RE2 regular expression (no lookaround or backreferences; at most 2,000 instructions), tested unanchored against each of the input's keys, string values (decoded) and other scalars, at any depth; the rule matches when any one of them matches",
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  input_pattern?: string | null;

  @ApiProperty({ enum: RULE_ACTIONS, description: '`review` holds the event for a person in `hitl` mode and blocks in `block` mode' })
  @IsIn(RULE_ACTIONS)
  action!: (typeof RULE_ACTIONS)[number];

  @ApiPropertyOptional({ type: String, example: 'destructive command', nullable: true, maxLength: 500, description: 'Sent to the agent with the verdict' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string | null;

  @ApiPropertyOptional({ enum: TIMEOUT_DECISIONS, nullable: true, description: "Decision when this rule's review expires; unset means the project's" })
  @IsOptional()
  @IsIn(TIMEOUT_DECISIONS)
  timeout_decision?: (typeof TIMEOUT_DECISIONS)[number] | null;
}

/** The whole policy of a project: PUT replaces every rule at once. */
export class PutPolicyDto {
  @ApiProperty({ enum: RULE_ACTIONS, description: 'Action when no rule matches' })
  @IsIn(RULE_ACTIONS)
  default_action!: (typeof RULE_ACTIONS)[number];

  @ApiProperty({ type: [PolicyRuleDto], maxItems: MAX_RULES, description: 'Ordered; the first matching rule wins' })
  @IsArray()
  @ArrayMaxSize(MAX_RULES)
  @ValidateNested({ each: true })
  @Type(() => PolicyRuleDto)
  rules!: PolicyRuleDto[];
}

/** A stored rule as the API answers it: every field present, null where the rule does not set it. */
export class PolicyRuleView implements RuleSnapshot {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ description: 'Its place in the policy, from 0; the first matching rule wins' })
  position!: number;
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

export class PolicyView {
  @ApiProperty({ format: 'uuid' })
  project_id!: string;
  @ApiProperty({ enum: RULE_ACTIONS })
  default_action!: (typeof RULE_ACTIONS)[number];
  @ApiProperty({ type: [PolicyRuleView] })
  rules!: RuleSnapshot[];
  @ApiProperty({ format: 'date-time', description: "The project's `updated_at`: it moves with every rules or settings change" })
  updated_at!: string;
}
