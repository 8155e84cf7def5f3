import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/infra/database/project-root.js';
import { TEST_ADMIN } from '../support/app.js';
import { HttpClient } from '../support/http.js';

/**
 * What a person or an operator does in the SDK conformance scenarios (sdk/conformance/scenarios.json), done by the
 * TypeScript runner over the REST API; sdk/python/tests/harness.py is the Python runner's twin.
 */

export interface Scenario {
  name: string;
  about: string;
  setup: Setup;
  steps: Step[];
  expected: Expected;
}

export interface Setup {
  mode?: string;
  default_action?: string;
  rules?: unknown[];
  review_timeout_seconds?: number;
  timeout_decision?: string;
  allow_edits?: boolean;
  keys?: string[];
}

/** One step; which fields apply depends on `do` (sdk/conformance/README.md). */
export interface Step {
  do: string;
  client?: string;
  key?: string;
  session?: string;
  as?: string;
  event_id?: string;
  kind?: 'tool' | 'llm';
  tool?: string;
  input?: unknown;
  timeout_s?: number;
  fail_open?: boolean;
  decision?: string;
  verdict?: 'approve' | 'deny';
  note?: string;
  expect_status?: number;
  expect_code?: string;
  status?: string;
  url?: 'server' | 'wrong_path' | 'closed_port' | 'tls_to_plain';
  expect?: { code: string; status?: number; message_contains?: string };
}

export interface ExpectedVerdict {
  decision: 'allow' | 'block';
  source: string;
  reason?: string;
  reason_contains?: string;
  review?: boolean;
  edited?: boolean;
  input?: unknown;
  input_sha256?: string;
}

export interface Expected {
  verdicts?: Record<string, ExpectedVerdict>;
  reviews?: Record<string, string>;
  pending_calls?: Record<string, number>;
  same_session?: string[];
  distinct_sessions?: string[];
}

export function loadScenarios(): Scenario[] {
  const file = path.join(projectRoot(), 'sdk', 'conformance', 'scenarios.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { scenarios: Scenario[] }).scenarios;
}

export interface ScenarioProject {
  id: string;
  keys: Record<string, { id: string; key: string }>;
}

/** The REST API as the admin (who is also a reviewer), against whatever URL `baseUrl()` gives now. */
export class ReviewerApi {
  private token = '';

  constructor(private readonly baseUrl: () => string) {}

  private get http(): HttpClient {
    return new HttpClient(this.baseUrl());
  }

  private async ok(method: string, urlPath: string, body: unknown, status: number): Promise<any> {
    const res = await this.http.request(method, urlPath, { token: this.token, body });
    if (res.status !== status) throw new Error(`${method} ${urlPath}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async signIn(): Promise<void> {
    this.token = (await this.ok('POST', '/api/auth/login', TEST_ADMIN, 200)).token;
  }

  /** A project as the setup describes it, its rules, and an API key per name in `keys`. */
  async projectFor(setup: Setup, name: string): Promise<ScenarioProject> {
    const body: Record<string, unknown> = { name, mode: setup.mode ?? 'hitl' };
    if (setup.review_timeout_seconds !== undefined) body.review_timeout_seconds = setup.review_timeout_seconds;
    if (setup.timeout_decision !== undefined) body.timeout_decision = setup.timeout_decision;
    // Sent only when asked for: a server without the setting refuses the field.
    if (setup.allow_edits) body.allow_edits = true;
    const project = await this.ok('POST', '/api/projects', body, 201);
    await this.ok('PUT', `/api/projects/${project.id}/rules`, { default_action: setup.default_action ?? 'review', rules: setup.rules ?? [] }, 200);
    const keys: ScenarioProject['keys'] = {};
    for (const keyName of setup.keys ?? ['main']) keys[keyName] = await this.ok('POST', `/api/projects/${project.id}/api-keys`, { name: keyName }, 201);
    return { id: project.id, keys };
  }

  async pendingReview(projectId: string, session: string, eventId: string): Promise<{ id: string } | undefined> {
    const page = await this.ok('GET', `/api/reviews?status=pending&project=${projectId}`, undefined, 200);
    return (page.items as { id: string; event_id: string; session_id: string }[]).find((r) => r.event_id === eventId && r.session_id === session);
  }

  async review(reviewId: string): Promise<{ status: string }> {
    return this.ok('GET', `/api/reviews/${reviewId}`, undefined, 200);
  }

  decideReview(reviewId: string, verdict: string, note?: string, edited?: unknown) {
    const body: Record<string, unknown> = { decision: verdict };
    if (note !== undefined) body.note = note;
    if (edited !== undefined) body.input = edited;
    return this.http.request('POST', `/api/reviews/${reviewId}/decision`, { token: this.token, body });
  }

  async revokeKey(keyId: string): Promise<void> {
    const res = await this.http.request('DELETE', `/api/api-keys/${keyId}`, { token: this.token });
    if (res.status !== 200 && res.status !== 204) throw new Error(`revoking key ${keyId}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** Polls `probe` until it returns a value other than undefined; fails after `timeoutMs`. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
