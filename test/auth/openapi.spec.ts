import { type TestApp, startApp } from '../support/app.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { HttpClient } from '../support/http.js';

interface OpenApiDoc {
  paths: Record<string, Record<string, { tags?: string[]; parameters?: { name: string; in: string }[]; responses: Record<string, { content?: unknown }> }>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
}

describe('OpenAPI document', () => {
  let db: TestDatabase;
  let instance: TestApp;
  let doc: OpenApiDoc;

  beforeAll(async () => {
    db = await createTestDatabase();
    instance = await startApp(db.url);
    const res = await new HttpClient(instance.url).get('/api/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
  });

  afterAll(async () => {
    await instance?.close();
    await db?.drop();
  });

  it('describes the auth, users, api-keys, projects and audit routes', () => {
    const expected: Record<string, string[]> = {
      '/api/auth/login': ['post'],
      '/api/auth/logout': ['post'],
      '/api/auth/me': ['get'],
      '/api/auth/change-password': ['post'],
      '/api/users': ['get', 'post'],
      '/api/users/{id}': ['patch'],
      '/api/projects': ['get', 'post'],
      '/api/projects/{id}': ['get', 'patch'],
      '/api/projects/{id}/api-keys': ['get', 'post'],
      '/api/api-keys/{id}': ['delete'],
      '/api/audit': ['get'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      expect({ path, methods: Object.keys(doc.paths[path] ?? {}).sort() }).toEqual({ path, methods: expect.arrayContaining(methods) });
    }
    expect(doc.paths['/api/audit'].get.tags).toEqual(['audit']);
    expect(doc.paths['/api/projects/{id}/api-keys'].post.tags).toEqual(['api-keys']);
  });

  it('documents the audit filters and the response shapes', () => {
    const params = doc.paths['/api/audit'].get.parameters!.map((p) => `${p.in}:${p.name}`);
    expect(params).toEqual(expect.arrayContaining(['query:actor', 'query:action', 'query:since', 'query:cursor', 'query:limit']));
    expect(doc.paths['/api/audit'].get.responses['200'].content).toBeDefined();
    expect(Object.keys(doc.components.schemas.AuditEntryView.properties!).sort()).toEqual(
      ['action', 'actor_id', 'actor_type', 'at', 'details', 'id', 'request_id', 'target_id', 'target_type'],
    );
    expect(Object.keys(doc.components.schemas.LoginResponse.properties!)).toEqual(expect.arrayContaining(['token', 'user']));
    expect(Object.keys(doc.components.schemas.CreatedApiKey.properties!)).toEqual(expect.arrayContaining(['id', 'name', 'prefix', 'key']));
    expect(Object.keys(doc.components.schemas.ApiKeyView.properties!)).not.toContain('key');
    expect(doc.paths['/api/projects'].post.responses['201'].content).toBeDefined();
  });

  it('serves the interactive docs at /api/docs', async () => {
    const res = await fetch(`${instance.url}/api/docs`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger');
  });
});
