import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { actorOf } from '../audit/audit.service.js';
import { type RequestContext, ReqContext } from '../infra/http/request-context.js';
import { CurrentUser, Roles } from './auth.decorators.js';
import { CreateUserDto } from './dto/auth.dto.js';
import { UpdateUserDto } from './dto/user.dto.js';
import type { UserPrincipal } from './principal.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@Roles('admin')
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  async list() {
    return { items: await this.users.list(), next_cursor: null };
  }

  @Post()
  create(@Body() body: CreateUserDto, @CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext) {
    return this.users.create(body, actorOf(user), ctx.requestId);
  }

  @Patch(':id')
  update(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: UpdateUserDto, @CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext) {
    return this.users.update(id, body, actorOf(user), ctx.requestId);
  }
}
