import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** `POST /api/projects/:id/pause` */
export class PauseProjectDto {
  @ApiPropertyOptional({ type: String, maxLength: 500, example: 'agent deleting files', description: 'Sent to the agents with every block, after who paused it' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @Matches(/^[^\u0000-\u001f]*$/, { message: 'must not contain control characters' })
  reason?: string;
}
