import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type RequestContext, ReqContext } from '../infra/http/request-context.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import { AllowPendingPasswordChange, CurrentUser, Public } from './auth.decorators.js';
import { ChangePasswordDto, LoginDto } from './dto/auth.dto.js';
import { userView } from './dto/user.dto.js';
import { LoginService } from './login.service.js';
import type { UserPrincipal } from './principal.js';
import { SESSION_COOKIE } from './strategies/bearer-token.js';
import { UserSessionsService } from './user-sessions.service.js';
import { UsersService } from './users.service.js';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly login: LoginService,
    private readonly sessions: UserSessionsService,
    private readonly users: UsersService,
    private readonly prisma: PrismaService,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in; returns a bearer token and sets the arbiter_session cookie' })
  async signIn(@Body() body: LoginDto, @ReqContext() ctx: RequestContext, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const { token, expiresAt, user } = await this.login.login(body.email, body.password, ctx);
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/', expires: expiresAt });
    return { token, expires_at: expiresAt.toISOString(), user: { id: user.id, email: user.email, role: user.role, must_change_password: user.must_change_password } };
  }

  @Post('logout')
  @HttpCode(204)
  @AllowPendingPasswordChange()
  async signOut(@CurrentUser() user: UserPrincipal, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.sessions.end(user.sessionId);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
  }

  @Get('me')
  @AllowPendingPasswordChange()
  async me(@CurrentUser() principal: UserPrincipal) {
    const user = await this.prisma.user.findUnique({ where: { id: principal.userId } });
    if (!user) throw new AppError('unauthorized', 'the account no longer exists');
    return userView(user);
  }

  @Post('change-password')
  @HttpCode(204)
  @AllowPendingPasswordChange()
  @ApiOperation({ summary: "Change your password; ends your other sessions" })
  async changePassword(@CurrentUser() user: UserPrincipal, @Body() body: ChangePasswordDto, @ReqContext() ctx: RequestContext): Promise<void> {
    await this.users.changePassword(user.userId, user.sessionId, body.current_password, body.new_password, ctx.requestId);
  }
}
