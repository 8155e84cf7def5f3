import { Module } from '@nestjs/common';
import { SessionEndController } from './session-end.controller.js';
import { SessionEndListener } from './session-end.listener.js';
import { SessionEndService } from './session-end.service.js';
import { SessionsModule } from './sessions.module.js';

/** Ending a session from the API; kept out of the gateway, which only needs its registry. */
@Module({ imports: [SessionsModule], controllers: [SessionEndController], providers: [SessionEndService, SessionEndListener] })
export class SessionEndModule {}
