import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles } from '../auth/auth.decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { PageQuery } from '../infra/http/pagination.js';
import { type RequestContext, ReqContext } from '../infra/http/request-context.js';
import { CreateShareDto, CreatedShareView, ShareLinkPage, ShareLinkView, ShareViewLogPage } from './dto/share.dto.js';
import { ShareLinksService } from './share-links.service.js';

/** Share links as signed-in dashboard users see them; see ShareLinksService for who may do what. */
@ApiTags('shares')
@Controller('api')
export class SharesController {
  constructor(private readonly shares: ShareLinksService) {}

  /** The token and url are in this response only. */
  @Roles('admin', 'reviewer')
  @Post('sessions/:id/shares')
  @ApiCreatedResponse({ type: CreatedShareView })
  create(@Param('id', new ParseUUIDPipe()) sessionId: string, @Body() body: CreateShareDto, @CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext) {
    return this.shares.create(sessionId, body, user, ctx.requestId);
  }

  @Get('sessions/:id/shares')
  @ApiOkResponse({ type: ShareLinkPage })
  list(@Param('id', new ParseUUIDPipe()) sessionId: string, @Query() query: PageQuery) {
    return this.shares.listForSession(sessionId, query.cursor, query.limit);
  }

  @Get('shares/:id')
  @ApiOkResponse({ type: ShareLinkView })
  get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.shares.get(id);
  }

  /** Creator or admin. Kept (revoked) for the audit trail; the cleanup job removes it 30 days later. */
  @Delete('shares/:id')
  @HttpCode(204)
  @ApiNoContentResponse()
  async revoke(@Param('id', new ParseUUIDPipe()) id: string, @CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext): Promise<void> {
    await this.shares.revoke(id, user, ctx.requestId);
  }

  /** Creator or admin: who opened the transcript, newest first. */
  @Get('shares/:id/views')
  @ApiOkResponse({ type: ShareViewLogPage })
  views(@Param('id', new ParseUUIDPipe()) id: string, @Query() query: PageQuery, @CurrentUser() user: UserPrincipal) {
    return this.shares.listViews(id, user, query.cursor, query.limit);
  }
}
