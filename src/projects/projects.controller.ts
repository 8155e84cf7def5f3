import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { actorOf } from '../audit/audit.service.js';
import { CurrentUser, Roles } from '../auth/auth.decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { PageQuery } from '../infra/http/pagination.js';
import { type RequestContext, ReqContext } from '../infra/http/request-context.js';
import { CreateProjectDto, ProjectPage, ProjectView, UpdateProjectDto, projectView } from './dto/project.dto.js';
import { ProjectsService } from './projects.service.js';

@ApiTags('projects')
@ApiBearerAuth()
@ApiCookieAuth('arbiter_session')
@Controller('api/projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Roles('admin')
  @Post()
  @ApiOperation({ summary: 'Create a project (admins); 409 when the name is taken' })
  @ApiCreatedResponse({ type: ProjectView })
  create(@Body() body: CreateProjectDto, @CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext): Promise<ProjectView> {
    return this.projects.create(body, actorOf(user), ctx.requestId);
  }

  @Get()
  @ApiOperation({ summary: 'Projects, newest first (every role)' })
  @ApiOkResponse({ type: ProjectPage })
  list(@Query() query: PageQuery): Promise<ProjectPage> {
    return this.projects.list(query.cursor, query.limit);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One project (every role)' })
  @ApiOkResponse({ type: ProjectView })
  async get(@Param('id', new ParseUUIDPipe()) id: string): Promise<ProjectView> {
    return projectView(await this.projects.get(id));
  }

  @Roles('admin')
  @Patch(':id')
  @ApiOperation({ summary: 'Change a project (admins)' })
  @ApiOkResponse({ type: ProjectView })
  update(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: UpdateProjectDto, @CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext): Promise<ProjectView> {
    return this.projects.update(id, body, actorOf(user), ctx.requestId);
  }
}
