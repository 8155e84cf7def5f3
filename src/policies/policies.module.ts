import { Module } from '@nestjs/common';
import { PoliciesController } from './policies.controller.js';
import { PoliciesService } from './policies.service.js';
import { PolicyCache } from './policy-cache.service.js';

@Module({ controllers: [PoliciesController], providers: [PoliciesService, PolicyCache], exports: [PolicyCache, PoliciesService] })
export class PoliciesModule {}
