import { Module } from '@nestjs/common';
import { RetentionService } from './retention.service.js';

/** Deletes expired events, verdicts, reviews, transcripts and audit entries (README, Configuration). */
@Module({ providers: [RetentionService] })
export class RetentionModule {}
