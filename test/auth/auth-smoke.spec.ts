import { type TestApp, startApp } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { createApiKey, createProject, signInAdmin } from '../support/fixtures.js';
import { HttpClient } from '../support/http.js';

describe('auth basics', () => {
  let db: TestDatabase;
  let instance: TestApp;
  let http: HttpClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    instance = await startApp(db.url);
    http = new HttpClient(instance.url);
  });

  afterAll(async () => {
    await instance?.close();
    await db?.drop();
  });

  it('denies API routes without credentials', async () => {
    const res = await http.get('/api/projects');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it('lets the bootstrap admin create a project and a key the SDK can use', async () => {
    const admin = await signInAdmin(http);
    const project = await createProject(http, admin.token, { mode: 'hitl' });
    expect(project.mode).toBe('hitl');
    const key = await createApiKey(http, admin.token, project.id);
    expect(key.key).toMatch(/^arb_/);
    const whoami = await http.get('/api/sdk/whoami', { token: key.key });
    expect(whoami.body).toEqual({ kind: 'api_key', api_key_id: key.id, project_id: project.id });
    const refused = await http.get('/api/projects', { token: key.key });
    expect(refused.status).toBe(403);
    expect((await http.delete(`/api/api-keys/${key.id}`, { token: admin.token })).status).toBe(204);
    expect((await http.get('/api/sdk/whoami', { token: key.key })).status).toBe(401);
  });
});
