import { Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles } from '../auth/auth.decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { type RequestContext, ReqContext } from '../infra/http/request-context.js';
import { EndedSessionView } from './dto/session-end.dto.js';
import { SessionEndService } from './session-end.service.js';

@ApiTags('sessions')
@ApiBearerAuth()
@ApiCookieAuth('arbiter_session')
@Controller('api/sessions')
export class SessionEndController {
  constructor(private readonly sessions: SessionEndService) {}

  @Roles('admin')
  @Post(':id/end')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'End an agent session (admins): its live socket is closed with 4002 session_ended on whichever instance holds it, its resume token stops working and no login claims it again; audited',
  })
  @ApiOkResponse({ type: EndedSessionView })
  @ApiConflictResponse({ description: 'The session was already ended' })
  end(@Param('id', new ParseUUIDPipe()) id: string, @CurrentUser() user: UserPrincipal, @ReqContext() ctx: RequestContext): Promise<EndedSessionView> {
    return this.sessions.end(id, user, ctx.requestId);
  }
}
