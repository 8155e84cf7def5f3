import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module.js';
import { SessionFeedListener } from './session-feed.listener.js';
import { StreamAccessService } from './stream-access.service.js';
import { StreamController } from './stream.controller.js';
import { StreamEventsRepository } from './stream-events.repository.js';
import { StreamHub } from './stream-hub.service.js';

/** `GET /api/stream`: the dashboard's live feed, backed by the stream_events log and NOTIFY. */
@Module({
  imports: [SessionsModule],
  controllers: [StreamController],
  providers: [StreamEventsRepository, StreamHub, StreamAccessService, SessionFeedListener],
  exports: [StreamEventsRepository],
})
export class StreamModule {}
