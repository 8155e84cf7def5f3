import { ApiProperty } from '@nestjs/swagger';

export class EndedSessionView {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'date-time' })
  ended_at!: string;
  @ApiProperty({ description: 'The email of who ended it' })
  ended_by!: string;
}
