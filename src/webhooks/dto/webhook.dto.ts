import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { WEBHOOK_EVENT_TYPES } from '../webhook-events.js';
import type { WebhookRow } from '../webhooks.repository.js';

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://hooks.example.com/arbiter', description: 'http(s) URL; loopback, link-local and private addresses are refused unless ARBITER_WEBHOOK_ALLOW_PRIVATE=true' })
  @IsString()
  @MaxLength(2000)
  @Matches(/^https?:\/\/\S+$/i, { message: 'must be an http:// or https:// URL' })
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true, example: ['review.created', 'review.expiring', 'review.expired'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  events!: string[];

  @ApiPropertyOptional({ minLength: 16, maxLength: 256, description: 'HMAC-SHA256 signing secret; one is generated (and shown once) when left out' })
  @IsOptional()
  @IsString()
  @MinLength(16)
  @MaxLength(256)
  secret?: string;
}

export class WebhookView {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uuid' })
  project_id!: string;
  @ApiProperty()
  url!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true })
  events!: string[];
  @ApiProperty({ format: 'date-time', description: 'ISO-8601 UTC' })
  created_at!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'ISO-8601 UTC' })
  disabled_at!: string | null;
}

export class CreatedWebhookView extends WebhookView {
  @ApiPropertyOptional({ description: 'The generated signing secret, in this response only (absent when you sent one)' })
  secret?: string;
}

export class WebhookPage {
  @ApiProperty({ type: [WebhookView] })
  items!: WebhookView[];
  @ApiProperty({ type: String, nullable: true })
  next_cursor!: string | null;
}

export function webhookView(row: WebhookRow): WebhookView {
  return {
    id: row.id,
    project_id: row.project_id,
    url: row.url,
    events: row.events,
    created_at: row.created_at.toISOString(),
    disabled_at: row.disabled_at?.toISOString() ?? null,
  };
}
