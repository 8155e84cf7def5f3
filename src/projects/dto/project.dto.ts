import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import type { Project } from '../../generated/prisma/client.js';

/** May be left out, but not sent as null (unlike @IsOptional, which lets null through unvalidated). */
const Omittable = () => ValidateIf((_object, value) => value !== undefined);

export const PROJECT_MODES = ['monitor', 'block', 'hitl'] as const;
export const DECISIONS = ['allow', 'block'] as const;

export class CreateProjectDto {
  @ApiProperty({ example: 'payments' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[^\u0000-\u001f]+$/, { message: 'must not contain control characters' })
  name!: string;

  @ApiPropertyOptional({ enum: PROJECT_MODES, default: 'block' })
  @Omittable()
  @IsIn(PROJECT_MODES)
  mode?: (typeof PROJECT_MODES)[number];

  @ApiPropertyOptional({ default: 300, minimum: 5, maximum: 86400 })
  @Omittable()
  @IsInt()
  @Min(5)
  @Max(86400)
  review_timeout_seconds?: number;

  @ApiPropertyOptional({ default: 86400, minimum: 5, maximum: 604800, description: 'Upper bound of a review window, extensions included' })
  @Omittable()
  @IsInt()
  @Min(5)
  @Max(604800)
  review_max_timeout_seconds?: number;

  @ApiPropertyOptional({ enum: DECISIONS, default: 'block' })
  @Omittable()
  @IsIn(DECISIONS)
  timeout_decision?: (typeof DECISIONS)[number];

  @ApiPropertyOptional({ type: [String], description: 'Input keys whose values are redacted in shared transcripts' })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(200, { each: true })
  redact_keys?: string[];

  @ApiPropertyOptional({ default: false, description: 'Reviewers may approve a review with an edited input (edit-then-approve)' })
  @Omittable()
  @IsBoolean()
  allow_edits?: boolean;
}

export class UpdateProjectDto extends CreateProjectDto {
  @ApiPropertyOptional({ example: 'payments' })
  @Omittable()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[^\u0000-\u001f]+$/, { message: 'must not contain control characters' })
  declare name: string;
}

export class ProjectView {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty()
  name!: string;
  @ApiProperty({ enum: PROJECT_MODES })
  mode!: string;
  @ApiProperty()
  review_timeout_seconds!: number;
  @ApiProperty()
  review_max_timeout_seconds!: number;
  @ApiProperty({ enum: DECISIONS })
  timeout_decision!: string;
  @ApiProperty({ type: [String] })
  redact_keys!: string[];
  @ApiProperty({ description: 'Reviewers may approve a review with an edited input' })
  allow_edits!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Set while the project is paused: every new event is blocked' })
  paused_at!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The email of who paused it' })
  paused_by!: string | null;
  @ApiProperty({ type: String, nullable: true })
  pause_reason!: string | null;
  @ApiProperty({ format: 'date-time', description: 'ISO-8601 UTC' })
  created_at!: string;
  @ApiProperty({ format: 'date-time', description: 'ISO-8601 UTC' })
  updated_at!: string;
}

export class ProjectPage {
  @ApiProperty({ type: [ProjectView] })
  items!: ProjectView[];
  @ApiProperty({ type: String, nullable: true })
  next_cursor!: string | null;
}

export function projectView(p: Project): ProjectView {
  return {
    id: p.id,
    name: p.name,
    mode: p.mode,
    review_timeout_seconds: p.reviewTimeoutSeconds,
    review_max_timeout_seconds: p.reviewMaxTimeoutSeconds,
    timeout_decision: p.timeoutDecision,
    redact_keys: p.redactKeys,
    allow_edits: p.allowEdits,
    paused_at: p.pausedAt?.toISOString() ?? null,
    paused_by: p.pausedBy,
    pause_reason: p.pauseReason,
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}
