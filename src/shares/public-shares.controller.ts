import { Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators.js';
import { AppError } from '../infra/errors/error-catalogue.js';
import { type RequestContext, ReqContext } from '../infra/http/request-context.js';
import { PublicShareStateView, Transcript } from './dto/share.dto.js';
import { PUBLIC_SHARE_HEADERS, renderSharePage } from './share-page.js';
import { PublicSharesService } from './public-shares.service.js';

/**
 * The routes a share URL's holder uses, without an account. A token that is not 43 base64url characters answers
 * 404 `not_found`, like an unknown one, without a database lookup. Responses are never cached, indexed, or sent on
 * as a Referer.
 */
@ApiTags('shares (public)')
@Public()
@Controller()
export class PublicSharesController {
  constructor(private readonly shares: PublicSharesService) {}

  /** The link's state only; uses no view, so previews and scanners are harmless. */
  @Get('api/public/shares/:token')
  @ApiOkResponse({ type: PublicShareStateView })
  async state(@Param('token') token: string, @ReqContext() ctx: RequestContext, @Res({ passthrough: true }) res: Response) {
    res.set(PUBLIC_SHARE_HEADERS);
    return this.shares.state(token, ctx);
  }

  /** Uses one view and returns the transcript; 410 expired | view_limit_reached | revoked | transcript_deleted when it cannot. */
  @Post('api/public/shares/:token/views')
  @HttpCode(200)
  @ApiOkResponse({ type: Transcript })
  async view(@Param('token') token: string, @ReqContext() ctx: RequestContext, @Res({ passthrough: true }) res: Response): Promise<Transcript> {
    res.set(PUBLIC_SHARE_HEADERS);
    return this.shares.view(token, ctx);
  }

  /** The page a share URL opens. */
  @Get('s/:token')
  @ApiOkResponse({ description: 'The share page', content: { 'text/html': { schema: { type: 'string' } } } })
  @ApiNotFoundResponse({ description: 'The same page, for a malformed token (its script says the link does not exist)', content: { 'text/html': { schema: { type: 'string' } } } })
  async page(@Param('token') token: string, @ReqContext() ctx: RequestContext, @Res() res: Response): Promise<void> {
    res.set(PUBLIC_SHARE_HEADERS);
    let status = 200;
    try {
      await this.shares.admit(token, ctx);
    } catch (err) {
      // Unknown tokens get the page too (its script says "does not exist"); malformed ones the same page with a 404.
      // Anything else (429) is answered as JSON by the error filter.
      if (!(err instanceof AppError) || err.code !== 'not_found') throw err;
      status = 404;
    }
    const page = renderSharePage();
    res.set(page.headers);
    res.status(status).send(page.html);
  }
}
