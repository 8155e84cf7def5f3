import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { actorOf } from '../audit/audit.service.js';
import { CurrentUser, Roles } from '../auth/auth.decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { type RequestContext, ReqContext } from '../infra/http/request-context.js';
import { DryRunDto, DryRunResult } from './dto/dry-run.dto.js';
import { PolicyHistory } from './dto/policy-history.dto.js';
import { PolicyView, PutPolicyDto } from './dto/policy.dto.js';
import { PoliciesService } from './policies.service.js';
import { PolicyDryRunService } from './policy-dry-run.service.js';
import { PolicyHistoryService } from './policy-history.service.js';

@ApiTags('policies')
@Controller('api/projects')
export class PoliciesController {
  constructor(
    private readonly policies: PoliciesService,
    private readonly dryRuns: PolicyDryRunService,
    private readonly history: PolicyHistoryService,
  ) {}

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

  @ApiOperation({
    summary:
      "Tests a draft policy without saving it (admins): what it makes of a sample event, and of the project's last 1,000 events compared with what was recorded. Validated exactly as PUT rules is",
  })
  @Roles('admin')
  @Post(':id/rules/dry-run')
  @HttpCode(200)
  @ApiOkResponse({ type: DryRunResult })
  dryRun(@Param('id', new ParseUUIDPipe()) projectId: string, @Body() body: DryRunDto): Promise<DryRunResult> {
    return this.dryRuns.run(projectId, body);
  }

  @ApiOperation({ summary: "Who changed a project's rules, when, and what changed, newest first (admins; from the audit log)" })
  @Roles('admin')
  @Get(':id/rules/history')
  @ApiOkResponse({ type: PolicyHistory })
  listHistory(@Param('id', new ParseUUIDPipe()) projectId: string): Promise<PolicyHistory> {
    return this.history.list(projectId);
  }
}
