import { Body, Controller, Get, Param, ParseUUIDPipe, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { actorOf } from '../audit/audit.service.js';
import { CurrentUser, Roles } from '../auth/auth.decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { type RequestContext, ReqContext } from '../infra/http/request-context.js';
import { PolicyView, PutPolicyDto } from './dto/policy.dto.js';
import { PoliciesService } from './policies.service.js';

@ApiTags('policies')
@Controller('api/projects')
export class PoliciesController {
  constructor(private readonly policies: PoliciesService) {}

  /** Readable by every signed-in person (viewer, reviewer, admin): reviewers need to see why events are held. */
  @ApiOperation({ summary: "A project's default action and ordered rules (any signed-in user)" })
  @Get(':id/rules')
  @ApiOkResponse({ type: PolicyView })
  get(@Param('id', new ParseUUIDPipe()) projectId: string): Promise<PolicyView> {
    return this.policies.get(projectId);
  }

  @ApiOperation({ summary: "Replaces a project's default action and all its rules at once (admins)" })
  @Roles('admin')
  @Put(':id/rules')
  @ApiOkResponse({ type: PolicyView })
  replace(
    @Param('id', new ParseUUIDPipe()) projectId: string,
    @Body() body: PutPolicyDto,
    @CurrentUser() user: UserPrincipal,
    @ReqContext() ctx: RequestContext,
  ): Promise<PolicyView> {
    return this.policies.replace(projectId, body, actorOf(user), ctx.requestId);
  }
}
