import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ApiKeysController } from './api-keys/api-keys.controller.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { AuthHousekeepingService } from './auth-housekeeping.service.js';
import { ArbiterAuthGuard } from './auth.guard.js';
import { AuthController } from './auth.controller.js';
import { LoginService } from './login.service.js';
import { PasswordHasher } from './password-hasher.service.js';
import { StatementSignInService } from './statement-sign-in.js';
import { ApiKeyStrategy } from './strategies/api-key.strategy.js';
import { UserSessionStrategy } from './strategies/user-session.strategy.js';
import { UserSessionsService } from './user-sessions.service.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [PassportModule.register({ session: false })],
  controllers: [AuthController, UsersController, ApiKeysController],
  providers: [
    PasswordHasher,
    UserSessionsService,
    LoginService,
    UsersService,
    ApiKeysService,
    AuthHousekeepingService,
    UserSessionStrategy,
    StatementSignInService,
    ApiKeyStrategy,
    { provide: APP_GUARD, useClass: ArbiterAuthGuard },
  ],
  exports: [ApiKeysService, UserSessionsService, StatementSignInService],
})
export class AuthModule {}
