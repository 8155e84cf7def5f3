import { Injectable } from '@nestjs/common';
import type { OverviewQuery, OverviewRange, OverviewView } from './dto/overview.dto.js';
import { OverviewRepository, type OverviewScope } from './overview.repository.js';

const RANGE_HOURS: Record<OverviewRange, number> = { '24h': 24, '7d': 24 * 7 };

/** The dashboard's overview: every aggregate over the same window, read side by side. */
@Injectable()
export class OverviewService {
  constructor(private readonly repo: OverviewRepository) {}

  async overview(query: OverviewQuery, now = new Date()): Promise<OverviewView> {
    const range = query.range ?? '24h';
    const scope: OverviewScope = { since: new Date(now.getTime() - RANGE_HOURS[range] * 3_600_000), projectId: query.project };
    const [totals, hours, decisionTimes, expiries, tools, rules, agents] = await Promise.all([
      this.repo.totals(scope),
      this.repo.eventsPerHour(scope),
      this.repo.decisionTimes(scope),
      this.repo.expiriesPerDay(scope),
      this.repo.topBlockedTools(scope),
      this.repo.topBlockingRules(scope),
      this.repo.mostActiveAgents(scope),
    ]);
    return {
      range,
      since: scope.since.toISOString(),
      totals,
      events_per_hour: hours.map((h) => ({ ...h, hour: h.hour.toISOString() })),
      decision_times: decisionTimes,
      expiries,
      top_blocked_tools: tools,
      top_blocking_rules: rules,
      most_active_agents: agents,
    };
  }
}
