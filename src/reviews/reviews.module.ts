import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { StreamModule } from '../stream/stream.module.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { ReviewAnnouncer } from './review-announcer.service.js';
import { ReviewSweepRepository } from './review-sweep.repository.js';
import { ReviewSweeper } from './review-sweeper.service.js';
import { ReviewsController } from './reviews.controller.js';
import { ReviewsRepository } from './reviews.repository.js';
import { ReviewsService } from './reviews.service.js';

/** The human-in-the-loop queue: decisions, extensions, expiry, and their announcements (feed and webhooks). */
@Module({
  imports: [AuthModule, SessionsModule, StreamModule, WebhooksModule],
  controllers: [ReviewsController],
  providers: [ReviewsRepository, ReviewSweepRepository, ReviewsService, ReviewAnnouncer, ReviewSweeper],
  exports: [ReviewSweeper],
})
export class ReviewsModule {}
