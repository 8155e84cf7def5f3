import { type TestApp, startApp } from '../support/app.js';
import type { ArbiterConfig } from '../../src/infra/config/config.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { createApiKey, createProject, signInAdmin } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';

export interface SessionsWorld {
  db: TestDatabase;
  apps: TestApp[];
  http: HttpClient;
  adminToken: string;
  projectId: string;
  key: string;
  keyId: string;
  close(): Promise<void>;
}

/** A database, `instances` apps on it, an admin, one project in `mode` with a review rule, and an API key. */
export async function sessionsWorld(mode: 'monitor' | 'block' | 'hitl', instances = 1, overrides: Partial<ArbiterConfig> = {}): Promise<SessionsWorld> {
  const db = await createTestDatabase();
  const apps = await Promise.all(Array.from({ length: instances }, () => startApp(db.url, overrides)));
  const http = new HttpClient(apps[0].url);
  const admin = await signInAdmin(http);
  const project = await createProject(http, admin.token, { mode });
  const rules = await http.put(
    `/api/projects/${project.id}/rules`,
    {
      default_action: 'allow',
      rules: [
        { kind: 'tool', tool: 'shell.*', input_pattern: 'rm -rf', action: 'review', reason: 'destructive command', timeout_decision: 'block' },
        { kind: 'tool', tool: 'net.*', action: 'block', reason: 'no network' },
      ],
    },
    { token: admin.token },
  );
  if (rules.status !== 200) throw new Error(`setting rules failed: ${rules.status} ${JSON.stringify(rules.body)}`);
  const key = await createApiKey(http, admin.token, project.id);
  return {
    db,
    apps,
    http,
    adminToken: admin.token,
    projectId: project.id,
    key: key.key,
    keyId: key.id,
    async close() {
      await Promise.all(apps.map((a) => a.close().catch(() => undefined)));
      await db.drop();
    },
  };
}

export const destructive = { kind: 'tool', tool: 'shell.exec', input: { cmd: 'rm -rf /var/data' } };
export const network = { kind: 'tool', tool: 'net.fetch', input: { url: 'https://example.com' } };
export const harmless = { kind: 'tool', tool: 'fs.read', input: { path: '/tmp/notes.txt' } };
