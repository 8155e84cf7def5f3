import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { createApiKey, createProject } from '../support/fixtures.js';
import type { HttpClient } from '../support/http.js';

/**
 * Agent sessions, events, verdicts and reviews written straight into the tables (the sessions gateway fills them in
 * production), on top of a project and API key made through the HTTP API.
 */

export async function insertAgentSession(pool: pg.Pool, s: { projectId: string; apiKeyId: string; label?: string; agentId?: string; source?: string }): Promise<string> {
  const id = randomUUID();
  await pool.query(
    'INSERT INTO agent_sessions (id, project_id, api_key_id, external_id, agent_id, source) VALUES ($1, $2, $3, $4, $5, $6)',
    [id, s.projectId, s.apiKeyId, s.label ?? `run-${randomBytes(3).toString('hex')}`, s.agentId ?? null, s.source ?? null],
  );
  return id;
}

export interface EventInput {
  kind?: 'tool' | 'llm';
  tool?: string | null;
  input?: unknown;
  ruleAction?: 'allow' | 'block' | 'review';
}

export async function insertEvent(pool: pg.Pool, sessionId: string, e: EventInput = {}): Promise<{ id: string; eventId: string; inputSha256: string }> {
  const id = randomUUID();
  const eventId = `evt-${randomBytes(4).toString('hex')}`;
  const input = e.input === undefined ? null : JSON.stringify(e.input);
  const inputSha256 = createHash('sha256').update(input ?? 'null').digest('hex');
  await pool.query(
    `INSERT INTO agent_events (id, session_id, event_id, kind, tool, input, input_sha256, rule_action)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)`,
    [id, sessionId, eventId, e.kind ?? 'tool', e.tool === undefined ? 'shell' : e.tool, input, inputSha256, e.ruleAction ?? 'allow'],
  );
  return { id, eventId, inputSha256 };
}

export async function insertVerdict(
  pool: pg.Pool,
  sessionId: string,
  event: { id: string; eventId: string; inputSha256: string },
  v: { decision: 'allow' | 'block'; reason?: string; source?: 'policy' | 'review' | 'timeout'; reviewId?: string },
): Promise<void> {
  await pool.query(
    `INSERT INTO verdicts (id, session_id, event_row_id, event_id, decision, reason, source, review_id, input_sha256)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [randomUUID(), sessionId, event.id, event.eventId, v.decision, v.reason ?? 'rule matched', v.source ?? 'policy', v.reviewId ?? null, event.inputSha256],
  );
}

export async function insertReview(
  pool: pg.Pool,
  r: { projectId: string; sessionId: string; event: { id: string; inputSha256: string }; status: 'pending' | 'approved' | 'denied' | 'expired'; decidedById?: string; note?: string },
): Promise<string> {
  const id = randomUUID();
  const decided = r.status === 'approved' || r.status === 'denied';
  await pool.query(
    `INSERT INTO reviews (id, project_id, session_id, event_row_id, status, input_sha256, timeout_decision, expires_at, decided_by, decided_at, note)
     VALUES ($1, $2, $3, $4, $5, $6, 'block', now() + interval '5 minutes', $7, CASE WHEN $8::boolean THEN now() END, $9)`,
    [id, r.projectId, r.sessionId, r.event.id, r.status, r.event.inputSha256, r.decidedById ?? null, decided, r.note ?? null],
  );
  return id;
}

export interface CreatedShare {
  id: string;
  session_id: string;
  url: string;
  token: string;
  expires_at: string;
  max_views: number | null;
}

export async function createShare(http: HttpClient, token: string, sessionId: string, body: Record<string, unknown> = {}): Promise<CreatedShare> {
  const res = await http.post(`/api/sessions/${sessionId}/shares`, body, { token });
  if (res.status !== 201) throw new Error(`create share: expected 201, got ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as CreatedShare;
}

/** A session with no events, ready to be shared, in a project of its own made through the API. */
export async function shareableSession(
  http: HttpClient,
  pool: pg.Pool,
  adminToken: string,
  options: { redact_keys?: string[]; label?: string } = {},
): Promise<{ projectId: string; projectName: string; apiKeyId: string; sessionId: string }> {
  const project = await createProject(http, adminToken, options.redact_keys ? { redact_keys: options.redact_keys } : {});
  const key = await createApiKey(http, adminToken, project.id);
  const sessionId = await insertAgentSession(pool, { projectId: project.id, apiKeyId: key.id, label: options.label });
  return { projectId: project.id, projectName: project.name, apiKeyId: key.id, sessionId };
}
