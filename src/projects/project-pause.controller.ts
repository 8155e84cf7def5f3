import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles } from '../auth/auth.decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { type RequestContext, ReqContext } from '../infra/http/request-context.js';
import { PauseProjectDto } from './dto/project-pause.dto.js';
import { ProjectView } from './dto/project.dto.js';
import { ProjectPauseService } from './project-pause.service.js';

@ApiTags('projects')
@ApiBearerAuth()
@ApiCookieAuth('arbiter_session')
@Controller('api/projects')
export class ProjectPauseController {
  constructor(private readonly pauses: ProjectPauseService) {}

  @Roles('admin')
  @Post(':id/pause')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Pause a project (admins): until it is resumed every new event of the project, on every instance, is answered `block` with the reason "project paused by <email>: <reason>"; pending reviews stay as they are',
  })
  @ApiOkResponse({ type: ProjectView })
  @ApiConflictResponse({ description: 'The project is paused already' })
  pause(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: PauseProjectDto,
    @CurrentUser() user: UserPrincipal,
    @ReqContext() ctx: RequestContext,
  ): Promise<ProjectView> {
    return this.pauses.pause(id, body.reason, user, ctx.requestId);
  }

  @Roles('admin')
  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused project (admins): its rules decide again' })
  @ApiOkResponse({ type: ProjectView })
  @ApiConflictResponse({ description: 'The project is not paused' })
  resume(@Param('id', new ParseUUIDPipe()) id: string, @CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext): Promise<ProjectView> {
    return this.pauses.resume(id, user, ctx.requestId);
  }
}
