import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type RequestContext, ReqContext } from '../infra/http/request-context.js';
import { AllowPendingPasswordChange, CurrentUser, Public } from './auth.decorators.js';
import { ChangePasswordDto, LoginDto, LoginResponse } from './dto/auth.dto.js';
import { UserView } from './dto/user.dto.js';
import { LoginService } from './login.service.js';
import type { UserPrincipal } from './principal.js';
import { SESSION_COOKIE, sessionCookieOptions } from './strategies/bearer-token.js';
import { UserSessionsService } from './user-sessions.service.js';
import { UsersService } from './users.service.js';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly login: LoginService,
    private readonly sessions: UserSessionsService,
    private readonly users: UsersService,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in; returns a bearer token and sets the arbiter_session cookie (401 invalid_credentials, 429 rate_limited)' })
  @ApiOkResponse({ type: LoginResponse })
  async signIn(@Body() body: LoginDto, @ReqContext() ctx: RequestContext, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LoginResponse> {
    const { token, expiresAt, user } = await this.login.login(body.email, body.password, ctx);
    res.cookie(SESSION_COOKIE, token, sessionCookieOptions(req, expiresAt));
    return { token, expires_at: expiresAt.toISOString(), user: { id: user.id, email: user.email, role: user.role, must_change_password: user.must_change_password } };
  }

  @Post('logout')
  @HttpCode(204)
  @AllowPendingPasswordChange()
  @ApiBearerAuth()
  @ApiCookieAuth('arbiter_session')
  @ApiOperation({ summary: 'End this session' })
  @ApiNoContentResponse()
  async signOut(@CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.sessions.signOut(user, ctx.requestId);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
  }

  @Get('me')
  @AllowPendingPasswordChange()
  @ApiBearerAuth()
  @ApiCookieAuth('arbiter_session')
  @ApiOperation({ summary: 'The signed-in person' })
  @ApiOkResponse({ type: UserView })
  me(@CurrentUser() principal: UserPrincipal): Promise<UserView> {
    return this.users.get(principal.userId);
  }

  @Post('change-password')
  @HttpCode(204)
  @AllowPendingPasswordChange()
  @ApiBearerAuth()
  @ApiCookieAuth('arbiter_session')
  @ApiOperation({ summary: 'Change your password; ends your other sessions' })
  @ApiNoContentResponse()
  async changePassword(@CurrentUser() user: UserPrincipal, @Body() body: ChangePasswordDto, @ReqContext() ctx: RequestContext): Promise<void> {
    await this.users.changePassword(user.userId, user.sessionId, body.current_password, body.new_password, ctx.requestId);
  }
}
