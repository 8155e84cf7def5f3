import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiExtraModels, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { actorOf } from '../../audit/audit.service.js';
import { PageQuery } from '../../infra/http/pagination.js';
import { type RequestContext, ReqContext } from '../../infra/http/request-context.js';
import { AllowApiKey, CurrentPrincipal, CurrentUser, Roles } from '../auth.decorators.js';
import { WhoAmIApiKey, WhoAmIUser } from '../dto/auth.dto.js';
import type { Principal, UserPrincipal } from '../principal.js';
import { ApiKeyPage, ApiKeysService, CreatedApiKey } from './api-keys.service.js';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'ci-agent' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[^\u0000-\u001f]+$/, { message: 'must not contain control characters' })
  name!: string;
}

@ApiTags('api-keys')
@ApiBearerAuth()
@ApiCookieAuth('arbiter_session')
@Controller('api')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Roles('admin')
  @Post('projects/:id/api-keys')
  @ApiOperation({ summary: 'Create an SDK API key (admins). The full key is in this response only; store it now.' })
  @ApiCreatedResponse({ type: CreatedApiKey })
  create(@Param('id', new ParseUUIDPipe()) projectId: string, @Body() body: CreateApiKeyDto, @CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext): Promise<CreatedApiKey> {
    return this.apiKeys.create(projectId, body.name, actorOf(user), ctx.requestId);
  }

  @Roles('admin')
  @Get('projects/:id/api-keys')
  @ApiOperation({ summary: "A project's API keys, newest first, never their secrets (admins)" })
  @ApiOkResponse({ type: ApiKeyPage })
  list(@Param('id', new ParseUUIDPipe()) projectId: string, @Query() query: PageQuery): Promise<ApiKeyPage> {
    return this.apiKeys.list(projectId, query.cursor, query.limit);
  }

  @Roles('admin')
  @Delete('api-keys/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a key (admins): refused at once on every instance, and its live WebSockets are closed' })
  @ApiNoContentResponse()
  async revoke(@Param('id', new ParseUUIDPipe()) id: string, @CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext): Promise<void> {
    await this.apiKeys.revoke(id, actorOf(user), ctx.requestId);
  }

  /** For SDKs: which key and project this is. */
  @AllowApiKey()
  @Get('sdk/whoami')
  @ApiOperation({ summary: 'Which API key (and project) or which user is calling' })
  @ApiExtraModels(WhoAmIUser, WhoAmIApiKey)
  @ApiOkResponse({
    schema: {
      oneOf: [{ $ref: getSchemaPath(WhoAmIUser) }, { $ref: getSchemaPath(WhoAmIApiKey) }],
      discriminator: { propertyName: 'kind', mapping: { user: getSchemaPath(WhoAmIUser), api_key: getSchemaPath(WhoAmIApiKey) } },
    },
  })
  whoami(@CurrentPrincipal() principal: Principal): WhoAmIUser | WhoAmIApiKey {
    if (principal.kind !== 'api_key') return { kind: 'user', user_id: principal.userId };
    return { kind: 'api_key', api_key_id: principal.apiKeyId, project_id: principal.projectId };
  }
}
