import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles } from '../auth/auth.decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { SignInCheckedByStatement, SignInToCheck, type UncheckedSignIn } from '../auth/statement-sign-in.js';
import { type RequestContext, ReqContext } from '../infra/http/request-context.js';
import {
  DecideReviewDto,
  DecisionResultView,
  ExtendReviewDto,
  ReviewDetailView,
  ReviewListQuery,
  ReviewPage,
  ReviewView,
} from './dto/review.dto.js';
import { ReviewsService } from './reviews.service.js';

/** The human-in-the-loop queue. Every signed-in user may look; reviewers and admins decide and extend. */
@ApiTags('reviews')
@ApiBearerAuth()
@ApiCookieAuth('arbiter_session')
@Controller('api/reviews')
export class ReviewsController {
  constructor(private readonly reviews: ReviewsService) {}

  @Get()
  @ApiOperation({ summary: 'Reviews, newest first, filtered by status, project and session' })
  @ApiOkResponse({ type: ReviewPage })
  list(@Query() query: ReviewListQuery): Promise<ReviewPage> {
    return this.reviews.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: "One review with its event's full input, the matching rule and the session's recent events" })
  @ApiOkResponse({ type: ReviewDetailView })
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<ReviewDetailView> {
    return this.reviews.get(id);
  }

  @Roles('admin', 'reviewer')
  @SignInCheckedByStatement()
  @Post(':id/decision')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve (allow) or deny (block) a pending review; the first decision wins' })
  @ApiOkResponse({ type: DecisionResultView })
  @ApiConflictResponse({ description: 'already_decided: someone decided first, or the window closed; error.details has the actual state' })
  decide(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: DecideReviewDto,
    @SignInToCheck() signIn: UncheckedSignIn,
    @ReqContext() ctx: RequestContext,
  ): Promise<DecisionResultView> {
    return this.reviews.decide(id, body, signIn, ctx.requestId);
  }

  @Roles('admin', 'reviewer')
  @Post(':id/extend')
  @HttpCode(200)
  @ApiOperation({ summary: "Give a pending review more time, within the project's review_max_timeout_seconds" })
  @ApiOkResponse({ type: ReviewView })
  @ApiConflictResponse({ description: 'already_decided: the review is no longer pending' })
  extend(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: ExtendReviewDto,
    @CurrentUser() user: UserPrincipal,
    @ReqContext() ctx: RequestContext,
  ): Promise<ReviewView> {
    return this.reviews.extend(id, body.seconds, user, ctx.requestId);
  }
}
