import { type DynamicModule, Module } from '@nestjs/common';
import type { ArbiterConfig } from './infra/config/config.js';
import { ConfigModule } from './infra/config/config.module.js';
import { DatabaseModule } from './infra/database/database.module.js';
import { HealthModule } from './infra/health/health.module.js';
import { LoggingModule } from './infra/logging/logging.module.js';
import { MetricsModule } from './infra/metrics/metrics.module.js';
import { NotifyModule } from './infra/notify/notify.module.js';
import { RateLimitModule } from './infra/rate-limit/rate-limit.module.js';
import { CryptoModule } from './infra/crypto/crypto.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ProjectsModule } from './projects/projects.module.js';
import { PoliciesModule } from './policies/policies.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { SessionEndModule } from './sessions/session-end.module.js';
import { SharesModule } from './shares/shares.module.js';
import { ReviewsModule } from './reviews/reviews.module.js';
import { StreamModule } from './stream/stream.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { RetentionModule } from './retention/retention.module.js';
import { OverviewModule } from './overview/overview.module.js';

@Module({})
export class AppModule {
  static forRoot(config: ArbiterConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config),
        DatabaseModule,
        NotifyModule,
        MetricsModule,
        HealthModule,
        RateLimitModule,
        CryptoModule,
        AuditModule,
        AuthModule,
        ProjectsModule,
        PoliciesModule,
        SessionsModule,
        SessionEndModule,
        SharesModule,
        StreamModule,
        WebhooksModule,
        ReviewsModule,
        RetentionModule,
        OverviewModule,
        DashboardModule,
      ],
    };
  }
}
