import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OverviewQuery, OverviewView } from './dto/overview.dto.js';
import { OverviewService } from './overview.service.js';

/** What the agents did lately, in numbers. Every signed-in user may look, as at the lists it summarises. */
@ApiTags('overview')
@ApiBearerAuth()
@ApiCookieAuth('arbiter_session')
@Controller('api/overview')
export class OverviewController {
  constructor(private readonly overview: OverviewService) {}

  @Get()
  @ApiOperation({
    summary: 'Totals, events per hour by verdict, review decision times and expiries, top blocked tools and rules, most active agents',
    description: 'Over the last 24 hours or 7 days, all projects or one. Each aggregate is one SQL statement over an index range. Days and hours are UTC.',
  })
  @ApiOkResponse({ type: OverviewView })
  get(@Query() query: OverviewQuery): Promise<OverviewView> {
    return this.overview.overview(query);
  }
}
