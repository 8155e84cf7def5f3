import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../infra/database/prisma.service.js';

/** Which rows an aggregate reads: a window back from now, and optionally one project. */
export interface OverviewScope {
  since: Date;
  projectId?: string;
}

export interface TotalsRow {
  events: number;
  blocks: number;
  pending_reviews: number;
  live_sessions: number;
}
export interface HourRow {
  hour: Date;
  allow: number;
  block: number;
  pending: number;
}
export interface DecisionTimeRow {
  day: string;
  decided: number;
  p50_seconds: number;
  p95_seconds: number;
}
export interface ExpiryRow {
  day: string;
  expired: number;
}
export interface BlockedToolRow {
  tool: string;
  blocks: number;
}
export interface BlockingRuleRow {
  rule_id: string;
  reason: string | null;
  tool: string | null;
  blocks: number;
}
export interface ActiveAgentRow {
  agent_id: string | null;
  events: number;
  blocks: number;
}

const TOP = 5;

/**
 * The overview's aggregates, each one SQL statement over an index range: agent_events by created_at (its own index,
 * added for this), reviews by (project_id, created_at) or created_at. Events carry no project, so one project's events
 * are those of its sessions (a semi-join, not a join that would multiply rows). Days and hours are UTC.
 */
@Injectable()
export class OverviewRepository {
  constructor(private readonly prisma: PrismaService) {}

  private eventScope(scope: OverviewScope): Prisma.Sql {
    const inProject = scope.projectId
      ? Prisma.sql`AND e.session_id IN (SELECT id FROM agent_sessions WHERE project_id = ${scope.projectId}::uuid)`
      : Prisma.empty;
    return Prisma.sql`e.created_at >= ${scope.since} ${inProject}`;
  }

  private reviewScope(scope: OverviewScope): Prisma.Sql {
    const inProject = scope.projectId ? Prisma.sql`AND r.project_id = ${scope.projectId}::uuid` : Prisma.empty;
    return Prisma.sql`r.created_at >= ${scope.since} ${inProject}`;
  }

  /** Events and blocks in the window; pending reviews and live sessions now, whatever their age. */
  async totals(scope: OverviewScope): Promise<TotalsRow> {
    const inProject = (column: Prisma.Sql) => (scope.projectId ? Prisma.sql`AND ${column} = ${scope.projectId}::uuid` : Prisma.empty);
    const rows = await this.prisma.$queryRaw<TotalsRow[]>`
      SELECT (SELECT count(*)::int FROM agent_events e WHERE ${this.eventScope(scope)}) AS events,
             (SELECT count(*)::int FROM agent_events e JOIN verdicts v ON v.event_row_id = e.id
               WHERE ${this.eventScope(scope)} AND v.decision = 'block') AS blocks,
             (SELECT count(*)::int FROM reviews r WHERE r.status = 'pending' ${inProject(Prisma.sql`r.project_id`)}) AS pending_reviews,
             (SELECT count(*)::int FROM agent_sessions s
               WHERE s.lease_expires_at > now() AND s.ended_at IS NULL ${inProject(Prisma.sql`s.project_id`)}) AS live_sessions`;
    return rows[0]!;
  }

  /** Every hour of the window (empty ones as zeros), its events by verdict; pending: no verdict yet. */
  async eventsPerHour(scope: OverviewScope): Promise<HourRow[]> {
    return this.prisma.$queryRaw<HourRow[]>`
      WITH counted AS (
        SELECT date_trunc('hour', e.created_at, 'UTC') AS hour,
               count(*) FILTER (WHERE v.decision = 'allow')::int AS allow,
               count(*) FILTER (WHERE v.decision = 'block')::int AS block,
               count(*) FILTER (WHERE v.id IS NULL)::int AS pending
          FROM agent_events e LEFT JOIN verdicts v ON v.event_row_id = e.id
         WHERE ${this.eventScope(scope)}
         GROUP BY 1)
      SELECT h.hour, COALESCE(c.allow, 0) AS allow, COALESCE(c.block, 0) AS block, COALESCE(c.pending, 0) AS pending
        FROM generate_series(date_trunc('hour', ${scope.since}::timestamptz, 'UTC'), date_trunc('hour', now(), 'UTC'), interval '1 hour') AS h(hour)
        LEFT JOIN counted c ON c.hour = h.hour
       ORDER BY h.hour`;
  }

  /** Reviews a person decided, by the day they were raised: how long they waited, median and 95th percentile. */
  async decisionTimes(scope: OverviewScope): Promise<DecisionTimeRow[]> {
    return this.prisma.$queryRaw<DecisionTimeRow[]>`
      SELECT to_char(date_trunc('day', r.created_at, 'UTC'), 'YYYY-MM-DD') AS day, count(*)::int AS decided,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.decided_at - r.created_at))::float8 AS p50_seconds,
             percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM r.decided_at - r.created_at))::float8 AS p95_seconds
        FROM reviews r
       WHERE ${this.reviewScope(scope)} AND r.status IN ('approved', 'denied') AND r.decided_at IS NOT NULL
       GROUP BY 1 ORDER BY 1`;
  }

  /** Reviews raised in the window that nobody decided in time, by the day their window closed. */
  async expiriesPerDay(scope: OverviewScope): Promise<ExpiryRow[]> {
    return this.prisma.$queryRaw<ExpiryRow[]>`
      SELECT to_char(date_trunc('day', r.expires_at, 'UTC'), 'YYYY-MM-DD') AS day, count(*)::int AS expired
        FROM reviews r
       WHERE ${this.reviewScope(scope)} AND r.status = 'expired'
       GROUP BY 1 ORDER BY 1`;
  }

  async topBlockedTools(scope: OverviewScope): Promise<BlockedToolRow[]> {
    return this.prisma.$queryRaw<BlockedToolRow[]>`
      SELECT e.tool, count(*)::int AS blocks
        FROM agent_events e JOIN verdicts v ON v.event_row_id = e.id
       WHERE ${this.eventScope(scope)} AND v.decision = 'block' AND e.tool IS NOT NULL
       GROUP BY e.tool ORDER BY blocks DESC, e.tool LIMIT ${TOP}::int`;
  }

  /** Rules whose block the agent got straight from the policy (not a reviewer's denial); reason and tool as they were then. */
  async topBlockingRules(scope: OverviewScope): Promise<BlockingRuleRow[]> {
    return this.prisma.$queryRaw<BlockingRuleRow[]>`
      SELECT e.rule_id::text AS rule_id, max(e.rule_snapshot->>'reason') AS reason, max(e.rule_snapshot->>'tool') AS tool, count(*)::int AS blocks
        FROM agent_events e JOIN verdicts v ON v.event_row_id = e.id
       WHERE ${this.eventScope(scope)} AND v.decision = 'block' AND v.source = 'policy' AND e.rule_id IS NOT NULL
       GROUP BY e.rule_id ORDER BY blocks DESC, e.rule_id LIMIT ${TOP}::int`;
  }

  /** Agents by events sent; null: events whose agent gave no agent_id. */
  async mostActiveAgents(scope: OverviewScope): Promise<ActiveAgentRow[]> {
    return this.prisma.$queryRaw<ActiveAgentRow[]>`
      SELECT e.agent_id, count(*)::int AS events, count(*) FILTER (WHERE v.decision = 'block')::int AS blocks
        FROM agent_events e LEFT JOIN verdicts v ON v.event_row_id = e.id
       WHERE ${this.eventScope(scope)}
       GROUP BY e.agent_id ORDER BY events DESC, e.agent_id NULLS LAST LIMIT ${TOP}::int`;
  }
}
