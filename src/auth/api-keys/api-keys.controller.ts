import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { actorOf } from '../../audit/audit.service.js';
import { type RequestContext, ReqContext } from '../../infra/http/request-context.js';
import { AllowApiKey, CurrentPrincipal, CurrentUser, Roles } from '../auth.decorators.js';
import type { Principal, UserPrincipal } from '../principal.js';
import { ApiKeysService } from './api-keys.service.js';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'ci-agent' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[^\u0000-\u001f]+$/, { message: 'must not contain control characters' })
  name!: string;
}

@ApiTags('api-keys')
@Controller('api')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /** The full key is in this response only; store it now. */
  @Roles('admin')
  @Post('projects/:id/api-keys')
  async create(@Param('id', new ParseUUIDPipe()) projectId: string, @Body() body: CreateApiKeyDto, @CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext) {
    const created = await this.apiKeys.create(projectId, body.name, actorOf(user), ctx.requestId);
    return created;
  }

  @Roles('admin')
  @Get('projects/:id/api-keys')
  async list(@Param('id', new ParseUUIDPipe()) projectId: string) {
    return { items: await this.apiKeys.list(projectId), next_cursor: null };
  }

  @Roles('admin')
  @Delete('api-keys/:id')
  @HttpCode(204)
  async revoke(@Param('id', new ParseUUIDPipe()) id: string, @CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext): Promise<void> {
    await this.apiKeys.revoke(id, actorOf(user), ctx.requestId);
  }

  /** For SDKs: which key and project this is. */
  @AllowApiKey()
  @Get('sdk/whoami')
  whoami(@CurrentPrincipal() principal: Principal) {
    if (principal.kind !== 'api_key') return { kind: 'user', user_id: principal.userId };
    return { kind: 'api_key', api_key_id: principal.apiKeyId, project_id: principal.projectId };
  }
}
