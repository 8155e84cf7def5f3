import { randomBytes } from 'node:crypto';
import { TEST_ADMIN } from './app.js';
import type { HttpClient } from './http.js';

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
