import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

export class LivenessView {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';
}

export class ReadinessCheckView {
  @ApiProperty({ enum: ['up', 'down'] })
  status!: 'up' | 'down';
  @ApiPropertyOptional({ description: 'Why it is down' })
  message?: string;
}

/** By check name: `database`, `migrations`, `notifications`. */
const BY_CHECK = { type: 'object', additionalProperties: { $ref: getSchemaPath(ReadinessCheckView) } } as const;

/** @nestjs/terminus's answer when every check is up (otherwise 503 `not_ready`, naming the checks that are down). */
export class ReadinessView {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';
  @ApiProperty({ ...BY_CHECK, description: 'The checks that are up' })
  info!: Record<string, ReadinessCheckView>;
  @ApiProperty({ ...BY_CHECK, description: 'The checks that are down (none in a 200)' })
  error!: Record<string, ReadinessCheckView>;
  @ApiProperty({ ...BY_CHECK, description: 'Every check' })
  details!: Record<string, ReadinessCheckView>;
}
