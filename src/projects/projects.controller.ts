import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { actorOf } from '../audit/audit.service.js';
import { CurrentUser, Roles } from '../auth/auth.decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { PageQuery } from '../infra/http/pagination.js';
import { type RequestContext, ReqContext } from '../infra/http/request-context.js';
import { CreateProjectDto, UpdateProjectDto, projectView } from './dto/project.dto.js';
import { ProjectsService } from './projects.service.js';

@ApiTags('projects')
@Controller('api/projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Roles('admin')
  @Post()
  create(@Body() body: CreateProjectDto, @CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext) {
    return this.projects.create(body, actorOf(user), ctx.requestId);
  }

  @Get()
  list(@Query() query: PageQuery) {
    return this.projects.list(query.cursor, query.limit);
  }

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    return projectView(await this.projects.get(id));
  }

  @Roles('admin')
  @Patch(':id')
  update(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: UpdateProjectDto, @CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext) {
    return this.projects.update(id, body, actorOf(user), ctx.requestId);
  }
}
