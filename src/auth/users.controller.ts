import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { actorOf } from '../audit/audit.service.js';
import { PageQuery } from '../infra/http/pagination.js';
import { type RequestContext, ReqContext } from '../infra/http/request-context.js';
import { CurrentUser, Roles } from './auth.decorators.js';
import { CreateUserDto } from './dto/auth.dto.js';
import { CreatedUserView, UpdateUserDto, UserPage, UserView } from './dto/user.dto.js';
import type { UserPrincipal } from './principal.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@ApiCookieAuth('arbiter_session')
@Roles('admin')
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'Dashboard users, newest first (admins)' })
  @ApiOkResponse({ type: UserPage })
  list(@Query() query: PageQuery): Promise<UserPage> {
    return this.users.list(query.cursor, query.limit);
  }

  @Post()
  @ApiOperation({ summary: 'Create a user (admins); 409 when the email is taken. Without a password one is generated and shown in this answer only' })
  @ApiCreatedResponse({ type: CreatedUserView })
  create(@Body() body: CreateUserDto, @CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext): Promise<CreatedUserView> {
    return this.users.create(body, actorOf(user), ctx.requestId);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change role or disable (admins); disabling ends every session of the user' })
  @ApiOkResponse({ type: UserView })
  update(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: UpdateUserDto, @CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext): Promise<UserView> {
    return this.users.update(id, body, actorOf(user), ctx.requestId);
  }
}
