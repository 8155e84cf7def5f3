import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { actorOf } from '../audit/audit.service.js';
import { CurrentUser, Roles } from '../auth/auth.decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { PageQuery } from '../infra/http/pagination.js';
import { type RequestContext, ReqContext } from '../infra/http/request-context.js';
import { CreateWebhookDto, CreatedWebhookView, WebhookPage } from './dto/webhook.dto.js';
import { WebhookDeliveryPage, WebhookDeliveryView } from './dto/webhook-delivery.dto.js';
import { WebhookDeliveriesService } from './webhook-deliveries.service.js';
import { WebhooksService } from './webhooks.service.js';

/**
 * Calls `POST <url>` with a JSON body `{"id","type","created_at","data"}` and the headers X-Arbiter-Event,
 * X-Arbiter-Delivery (stable across retries), X-Arbiter-Timestamp and X-Arbiter-Signature
 * (`sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`). Any 2xx is success; anything else is retried with backoff.
 */
@ApiTags('webhooks')
@ApiBearerAuth()
@ApiCookieAuth('arbiter_session')
@Roles('admin')
@Controller('api/projects/:projectId/webhooks')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly deliveries: WebhookDeliveriesService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Add a webhook for review.created / review.expiring / review.expired / review.withdrawn (admins)' })
  @ApiCreatedResponse({ type: CreatedWebhookView })
  create(
    @Param('projectId', new ParseUUIDPipe()) projectId: string,
    @Body() body: CreateWebhookDto,
    @CurrentUser() user: UserPrincipal,
    @ReqContext() ctx: RequestContext,
  ): Promise<CreatedWebhookView> {
    return this.webhooks.create(projectId, body, actorOf(user), ctx.requestId);
  }

  @Get()
  @ApiOperation({ summary: "A project's webhooks, newest first (admins); secrets are never shown" })
  @ApiOkResponse({ type: WebhookPage })
  list(@Param('projectId', new ParseUUIDPipe()) projectId: string, @Query() query: PageQuery): Promise<WebhookPage> {
    return this.webhooks.list(projectId, query.cursor, query.limit);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a webhook and its queued deliveries (admins)' })
  @ApiNoContentResponse()
  async remove(
    @Param('projectId', new ParseUUIDPipe()) projectId: string,
    @Param('id', new ParseUUIDPipe()) id: string,
    @CurrentUser() user: UserPrincipal,
    @ReqContext() ctx: RequestContext,
  ): Promise<void> {
    await this.webhooks.remove(projectId, id, actorOf(user), ctx.requestId);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "A webhook's delivery log, newest first: status, attempts, next retry, last error (admins)" })
  @ApiOkResponse({ type: WebhookDeliveryPage })
  listDeliveries(@Param('projectId', new ParseUUIDPipe()) projectId: string, @Param('id', new ParseUUIDPipe()) id: string, @Query() query: PageQuery): Promise<WebhookDeliveryPage> {
    return this.deliveries.list(projectId, id, query.cursor, query.limit);
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue a `webhook.test` event to this webhook, signed and retried like real events; it shows in the delivery log (admins)' })
  @ApiAcceptedResponse({ type: WebhookDeliveryView })
  sendTest(
    @Param('projectId', new ParseUUIDPipe()) projectId: string,
    @Param('id', new ParseUUIDPipe()) id: string,
    @CurrentUser() user: UserPrincipal,
    @ReqContext() ctx: RequestContext,
  ): Promise<WebhookDeliveryView> {
    return this.deliveries.sendTest(projectId, id, actorOf(user), ctx.requestId);
  }
}
