import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import type { Project } from '../../generated/prisma/client.js';

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
  @IsOptional()
  @IsIn(PROJECT_MODES)
  mode?: (typeof PROJECT_MODES)[number];

  @ApiPropertyOptional({ default: 300, minimum: 5, maximum: 86400 })
  @IsOptional()
  @IsInt()
  @Min(5)
  @Max(86400)
  review_timeout_seconds?: number;

  @ApiPropertyOptional({ default: 86400, minimum: 5, maximum: 604800, description: 'Upper bound of a review window, extensions included' })
  @IsOptional()
  @IsInt()
  @Min(5)
  @Max(604800)
  review_max_timeout_seconds?: number;

  @ApiPropertyOptional({ enum: DECISIONS, default: 'block' })
  @IsOptional()
  @IsIn(DECISIONS)
  timeout_decision?: (typeof DECISIONS)[number];

  @ApiPropertyOptional({ type: [String], description: 'Input keys whose values are redacted in shared transcripts' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(200, { each: true })
  redact_keys?: string[];
}

export class UpdateProjectDto extends CreateProjectDto {
  @ApiPropertyOptional({ example: 'payments' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[^\u0000-\u001f]+$/, { message: 'must not contain control characters' })
  declare name: string;
}

export interface ProjectView {
  id: string;
  name: string;
  mode: string;
  review_timeout_seconds: number;
  review_max_timeout_seconds: number;
  timeout_decision: string;
  redact_keys: string[];
  created_at: string;
  updated_at: string;
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
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}
