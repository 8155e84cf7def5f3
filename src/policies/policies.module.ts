import { Module } from '@nestjs/common';
import { PoliciesController } from './policies.controller.js';
import { PoliciesService } from './policies.service.js';
import { PolicyCache } from './policy-cache.service.js';
import { PolicyDryRunService } from './policy-dry-run.service.js';
import { PolicyHistoryService } from './policy-history.service.js';

@Module({
  controllers: [PoliciesController],
  providers: [PoliciesService, PolicyCache, PolicyDryRunService, PolicyHistoryService],
  exports: [PolicyCache, PoliciesService],
})
export class PoliciesModule {}
