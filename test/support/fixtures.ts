import { randomBytes } from 'node:crypto';
import type { ArbiterConfig } from '../../src/infra/config/config.js';
import { TEST_ADMIN, type TestApp, startCluster } from './app.js';
import type { TestDatabase } from './database.js';
import { HttpClient } from './http.js';

/** Small factories over the real HTTP API, so tests build state the way users do. */

export interface SignedIn {
  id: string;
  email: string;
  password: string;
  role: string;
  token: string;
}

function expectStatus(what: string, res: { status: number; body: unknown }, status: number): void {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
}

export async function signIn(http: HttpClient, email: string, password: string): Promise<string> {
  const res = await http.post('/api/auth/login', { email, password });
  expectStatus(`sign in ${email}`, res, 200);
  return res.body.token as string;
}

export async function signInAdmin(http: HttpClient): Promise<SignedIn> {
  const res = await http.post('/api/auth/login', TEST_ADMIN);
  expectStatus('sign in admin', res, 200);
  return { id: res.body.user.id, email: TEST_ADMIN.email, password: TEST_ADMIN.password, role: 'admin', token: res.body.token };
}

export async function createUser(http: HttpClient, adminToken: string, role: 'admin' | 'reviewer' | 'viewer'): Promise<SignedIn> {
  const email = `${role}-${randomBytes(4).toString('hex')}@arbiter.test`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const res = await http.post('/api/users', { email, password, role }, { token: adminToken });
  expectStatus(`create ${role}`, res, 201);
  return { id: res.body.id, email, password, role, token: await signIn(http, email, password) };
}

export interface ProjectInput {
  name?: string;
  mode?: 'monitor' | 'block' | 'hitl';
  review_timeout_seconds?: number;
  timeout_decision?: 'allow' | 'block';
  redact_keys?: string[];
}

export async function createProject(http: HttpClient, adminToken: string, input: ProjectInput = {}): Promise<{ id: string; name: string; mode: string }> {
  const res = await http.post('/api/projects', { name: `project-${randomBytes(4).toString('hex')}`, ...input }, { token: adminToken });
  expectStatus('create project', res, 201);
  return res.body;
}

export async function createApiKey(http: HttpClient, adminToken: string, projectId: string, name = 'agent'): Promise<{ id: string; key: string; prefix: string }> {
  const res = await http.post(`/api/projects/${projectId}/api-keys`, { name }, { token: adminToken });
  expectStatus('create API key', res, 201);
  return res.body;
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. Returns that value. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 2000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The `name=value` of a Set-Cookie header the response carried, with its attributes, or undefined. */
export function setCookie(headers: Headers, name: string): { value: string; attributes: string[] } | undefined {
  for (const line of headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq) === name) return { value: decodeURIComponent(pair.slice(eq + 1)), attributes };
  }
  return undefined;
}

/** Every row of every table in the public schema as text, to check that a secret is stored nowhere in clear. */
export async function dumpAllTables(pool: import('pg').Pool): Promise<string> {
  const tables = await pool.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
  const parts: string[] = [];
  for (const { tablename } of tables.rows) {
    const rows = await pool.query<{ row: string }>(`SELECT t::text AS row FROM "${tablename}" t`);
    parts.push(...rows.rows.map((r) => r.row));
  }
  return parts.join('\n');
}

/** The secret part of an `arb_<prefix>_<secret>` key (the secret itself may contain `_`). */
export function apiKeySecret(key: string): string {
  const match = /^arb_[a-z0-9]{12}_([A-Za-z0-9_-]{43})$/.exec(key);
  if (!match) throw new Error('not an API key');
  return match[1];
}

/** One instance on a fresh database with its admin signed in: where most single-instance specs start. */
export interface SignedInApp {
  db: TestDatabase;
  instance: TestApp;
  http: HttpClient;
  admin: SignedIn;
  close(): Promise<void>;
}

export async function signedInApp(overrides: Partial<ArbiterConfig> = {}): Promise<SignedInApp> {
  const cluster = await startCluster(1, overrides);
  const [instance] = cluster.apps;
  const http = new HttpClient(instance.url);
  return { db: cluster.db, instance, http, admin: await signInAdmin(http), close: () => cluster.close() };
}

/** Two instances on a fresh database with the admin signed in (on the first): for specs across instances. */
export interface SignedInPair {
  db: TestDatabase;
  one: TestApp;
  two: TestApp;
  http1: HttpClient;
  http2: HttpClient;
  admin: SignedIn;
  close(): Promise<void>;
}

export async function signedInPair(overrides: Partial<ArbiterConfig> = {}): Promise<SignedInPair> {
  const cluster = await startCluster(2, overrides);
  const [one, two] = cluster.apps;
  const http1 = new HttpClient(one.url);
  const admin = await signInAdmin(http1);
  return { db: cluster.db, one, two, http1, http2: new HttpClient(two.url), admin, close: () => cluster.close() };
}
