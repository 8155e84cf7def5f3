import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AgentSessionsService } from './agent-sessions.service.js';
import { AgentSessionDetailView, AgentSessionPage, ListAgentSessionsQuery } from './dto/agent-session.dto.js';

/** Any signed-in person may read sessions (viewers included), like the rest of the dashboard's read routes. */
@ApiTags('sessions')
@Controller('api/sessions')
export class AgentSessionsController {
  constructor(private readonly sessions: AgentSessionsService) {}

  @Get()
  @ApiOkResponse({ type: AgentSessionPage })
  @ApiOperation({ summary: 'Agent sessions, newest first, narrowed by project, live or ended, label and time; `connected` says whether a live connection holds it now' })
  list(@Query() query: ListAgentSessionsQuery) {
    const { cursor, limit, ...filter } = query;
    return this.sessions.list(filter, cursor, limit);
  }

  @Get(':id')
  @ApiOkResponse({ type: AgentSessionDetailView })
  @ApiOperation({ summary: 'One session with its latest 100 events, their verdicts and reviews' })
  get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.sessions.get(id);
  }
}
