import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { PoliciesModule } from '../policies/policies.module.js';
import { AgentConnectionRegistry } from './agent-connection.registry.js';
import { AgentGateway } from './agent.gateway.js';
import { AgentSessionsController } from './agent-sessions.controller.js';
import { AgentSessionsService } from './agent-sessions.service.js';
import { EventCancellation } from './event-cancel.js';
import { EventRecorderRepository } from './event-recorder.repository.js';
import { SessionHooks } from './session-hooks.service.js';
import { SessionInventory } from './session-inventory.js';
import { SessionLeaseRepository } from './session-lease.repository.js';
import { VerdictOutboxService } from './verdict-outbox.service.js';

@Module({
  imports: [AuthModule, PoliciesModule],
  controllers: [AgentSessionsController],
  providers: [AgentSessionsService, AgentGateway, AgentConnectionRegistry, SessionLeaseRepository, EventRecorderRepository, EventCancellation, VerdictOutboxService, SessionHooks, SessionInventory],
  exports: [VerdictOutboxService, SessionHooks, AgentConnectionRegistry],
})
export class SessionsModule {}
