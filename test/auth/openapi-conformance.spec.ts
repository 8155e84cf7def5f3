/* eslint-disable @typescript-eslint/no-explicit-any */
import { type TestApp, TEST_ADMIN, startApp } from '../support/app.js';
import { AgentSocket } from '../support/agent-socket.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { HttpClient, type HttpResult } from '../support/http.js';

/**
 * The OpenAPI document is what generated clients (the dashboard's among them) are typed from, so it must say exactly
 * what the server sends and accepts. Every route is called for real here, and every JSON body, both ways, is checked
 * against the schema the document declares for that route, method and status.
 */

type Schema = Record<string, any>;
interface OpenApiDoc {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> }; responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
  components: { schemas: Record<string, Schema> };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * What is wrong with `value` under `schema`, each mismatch prefixed with its path ($.items[0].tool). Covers what the
 * document uses: $ref, allOf/oneOf/anyOf, type, nullable, enum, required, properties (no undeclared ones unless
 * additionalProperties), items, and the uuid and date-time formats. A schema that says nothing about a value's type
 * is itself a mismatch: a generated client would type it `unknown` or, worse, `object`.
 */
function schemaMismatches(doc: Pick<OpenApiDoc, 'components'>, schema: Schema, value: unknown, path = '$'): string[] {
  const out: string[] = [];
  if (schema.$ref) {
    const name = String(schema.$ref).replace('#/components/schemas/', '');
    const target = doc.components.schemas[name];
    if (!target) return [`${path}: unresolvable $ref ${schema.$ref}`];
    return schemaMismatches(doc, target, value, path);
  }
  // The empty schema is JSON Schema's "anything" (the items of an any-JSON array).
  if (Object.keys(schema).length === 0) return [];
  if (value === undefined) return [`${path}: missing`];
  if (value === null) return schema.nullable === true ? [] : [`${path}: null, but the schema is not nullable`];
  for (const part of schema.allOf ?? []) out.push(...schemaMismatches(doc, part, value, path));
  for (const combinator of ['oneOf', 'anyOf'] as const) {
    if (!schema[combinator]) continue;
    const fitting = (schema[combinator] as Schema[]).filter((s) => schemaMismatches(doc, s, value, path).length === 0).length;
    if (combinator === 'oneOf' ? fitting !== 1 : fitting === 0) out.push(`${path}: ${JSON.stringify(value).slice(0, 60)} fits ${fitting} of the ${combinator} schemas`);
  }
  if (schema.enum && !schema.enum.includes(value)) out.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  const composed = schema.allOf || schema.oneOf || schema.anyOf;
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') out.push(`${path}: declared string, got ${shown(value)}`);
      else if (schema.format === 'uuid' && !UUID.test(value)) out.push(`${path}: declared uuid, got ${JSON.stringify(value)}`);
      else if (schema.format === 'date-time' && !DATE_TIME.test(value)) out.push(`${path}: declared date-time, got ${JSON.stringify(value)}`);
      break;
    case 'number':
      if (typeof value !== 'number') out.push(`${path}: declared number, got ${shown(value)}`);
      break;
    case 'integer':
      if (!Number.isInteger(value)) out.push(`${path}: declared integer, got ${shown(value)}`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') out.push(`${path}: declared boolean, got ${shown(value)}`);
      break;
    case 'array':
      if (!Array.isArray(value)) out.push(`${path}: declared array, got ${shown(value)}`);
      else if (!schema.items) out.push(`${path}: an array whose items have no schema`);
      else value.forEach((item, i) => out.push(...schemaMismatches(doc, schema.items, item, `${path}[${i}]`)));
      break;
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        out.push(`${path}: declared object, got ${shown(value)}`);
        break;
      }
      const properties: Record<string, Schema> = schema.properties ?? {};
      if (!schema.properties && !schema.additionalProperties && !composed) out.push(`${path}: an object with no declared properties`);
      for (const name of schema.required ?? []) if (!(name in value)) out.push(`${path}.${name}: required, but missing`);
      for (const [name, v] of Object.entries(value)) {
        if (properties[name]) out.push(...schemaMismatches(doc, properties[name], v, `${path}.${name}`));
        else if (schema.properties && !schema.additionalProperties) out.push(`${path}.${name}: not in the schema`);
        else if (typeof schema.additionalProperties === 'object') out.push(...schemaMismatches(doc, schema.additionalProperties, v, `${path}.${name}`));
      }
      break;
    }
    case undefined:
      if (!composed) out.push(`${path}: the schema declares no type`);
      break;
    default:
      out.push(`${path}: unknown type ${schema.type}`);
  }
  return out;
}

function shown(value: unknown): string {
  return `${Array.isArray(value) ? 'array' : typeof value} ${JSON.stringify(value).slice(0, 60)}`;
}

interface Exchange {
  method: string;
  url: string;
  requestBody: unknown;
  status: number;
  contentType: string;
  body: unknown;
}

/** The documented path template (`/api/reviews/{id}`) a concrete URL was served by; literal segments win. */
function routeOf(doc: OpenApiDoc, url: string): string | undefined {
  const pathname = new URL(url, 'http://x').pathname;
  const candidates = Object.keys(doc.paths).filter((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(pathname));
  return candidates.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))[0];
}

/** Operations the scenario does not call: an event stream never ends, so it is not one JSON answer. */
const NOT_CALLED: Record<string, string> = {
  'get /api/stream': 'text/event-stream (its frames are described in the operation)',
};

describe('OpenAPI document, checked against real requests and responses', () => {
  let db: TestDatabase;
  let instance: TestApp;
  let doc: OpenApiDoc;
  const exchanges: Exchange[] = [];

  /** Calls the API, records the exchange, and insists on the status the scenario expects. */
  async function call(method: string, url: string, expected: number, options: { token?: string; body?: unknown } = {}): Promise<HttpResult> {
    const res = await new HttpClient(instance.url).request(method, url, options);
    exchanges.push({ method: method.toLowerCase(), url, requestBody: options.body, status: res.status, contentType: res.headers.get('content-type') ?? '', body: res.body });
    if (res.status !== expected) throw new Error(`${method} ${url}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    return res;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    instance = await startApp(db.url, { webhookAllowPrivate: true });
    doc = (await new HttpClient(instance.url).get('/api/openapi.json')).body;

    await call('GET', '/healthz', 200);
    await call('GET', '/readyz', 200);
    const admin = (await call('POST', '/api/auth/login', 200, { body: TEST_ADMIN })).body;
    const token = admin.token as string;
    await call('GET', '/api/auth/me', 200, { token });
    await call('GET', '/api/sdk/whoami', 200, { token });

    // A reviewer: created, signed in, made to change the password, promoted and demoted.
    const reviewer = (await call('POST', '/api/users', 201, { token, body: { email: 'reviewer@arbiter.test', password: 'a long first password', role: 'reviewer' } })).body;
    const reviewerToken = (await call('POST', '/api/auth/login', 200, { body: { email: 'reviewer@arbiter.test', password: 'a long first password' } })).body.token;
    await call('POST', '/api/auth/change-password', 204, { token: reviewerToken, body: { current_password: 'a long first password', new_password: 'a longer second password' } });
    await call('PATCH', `/api/users/${reviewer.id}`, 200, { token, body: { role: 'viewer' } });
    await call('PATCH', `/api/users/${reviewer.id}`, 200, { token, body: { role: 'reviewer', disabled: false } });
    await call('GET', '/api/users?limit=1', 200, { token });
    await call('POST', '/api/users', 201, { token, body: { email: 'viewer@arbiter.test', role: 'viewer', must_change_password: true } });

    // A project in hitl mode with rules that set every optional field, and some that leave them null.
    const project = (await call('POST', '/api/projects', 201, { token, body: { name: 'openapi', mode: 'hitl', redact_keys: ['password'] } })).body;
    await call('PATCH', `/api/projects/${project.id}`, 200, { token, body: { review_timeout_seconds: 600, timeout_decision: 'block' } });
    await call('GET', `/api/projects/${project.id}`, 200, { token });
    await call('GET', '/api/projects', 200, { token });
    await call('PUT', `/api/projects/${project.id}/rules`, 200, {
      token,
      body: {
        default_action: 'allow',
        rules: [
          { kind: 'tool', tool: 'shell.*', input_pattern: 'rm -rf', action: 'review', reason: 'destructive command', timeout_decision: 'block' },
          { kind: null, tool: null, input_pattern: null, action: 'allow', reason: null, timeout_decision: null },
          { tool: 'net.*', action: 'block' },
        ],
      },
    });
    await call('GET', `/api/projects/${project.id}/rules`, 200, { token });

    const key = (await call('POST', `/api/projects/${project.id}/api-keys`, 201, { token, body: { name: 'openapi-agent' } })).body;
    await call('GET', `/api/projects/${project.id}/api-keys`, 200, { token });
    await call('GET', '/api/sdk/whoami', 200, { token: key.key });

    const hook = (await call('POST', `/api/projects/${project.id}/webhooks`, 201, { token, body: { url: 'http://127.0.0.1:9/hook', events: ['review.created'] } })).body;
    await call('POST', `/api/projects/${project.id}/webhooks`, 201, { token, body: { url: 'http://127.0.0.1:9/other', events: ['review.expired'], secret: 'a-secret-of-16-chars-or-more' } });
    await call('GET', `/api/projects/${project.id}/webhooks`, 200, { token });
    await call('POST', `/api/projects/${project.id}/webhooks/${hook.id}/test`, 202, { token });
    await call('GET', `/api/projects/${project.id}/webhooks/${hook.id}/deliveries`, 200, { token });
    await call('DELETE', `/api/projects/${project.id}/webhooks/${hook.id}`, 204, { token });

    // An agent: an allowed event, a blocked one, an llm event without a tool, and two held for review.
    const { agent, ok } = await AgentSocket.login(instance.wsUrl, key.key, 'openapi-session', { agent_id: 'agent-7', source: 'ci' });
    await agent.decide('e-allow', { kind: 'tool', tool: 'fs.read', input: { path: '/tmp/x', password: 'hunter2' } });
    await agent.decide('e-block', { kind: 'tool', tool: 'net.fetch', input: ['a', 1, null] });
    await agent.decide('e-llm', { kind: 'llm', input: 'a prompt' });
    const held = await agent.decide('e-review', { kind: 'tool', tool: 'shell.exec', input: { cmd: 'rm -rf /srv' } });
    const held2 = await agent.decide('e-review-2', { kind: 'tool', tool: 'shell.exec', input: { cmd: 'rm -rf /opt' } });
    // Protocol 1.1: one more held and withdrawn by the agent (a review view with status withdrawn).
    const withdrawn = await agent.decide('e-review-3', { kind: 'tool', tool: 'shell.exec', input: { cmd: 'rm -rf /var' } });
    await agent.cancel('e-review-3', 'client_timeout');
    const session = ok.session as string;

    await call('GET', '/api/sessions?limit=10', 200, { token });
    await call('GET', `/api/sessions/${session}`, 200, { token });
    await call('GET', `/api/reviews?status=pending&project=${project.id}`, 200, { token });
    await call('GET', `/api/reviews/${held.review_id}`, 200, { token });
    await call('POST', `/api/reviews/${held.review_id}/extend`, 200, { token: reviewerToken, body: { seconds: 60 } });
    await call('POST', `/api/reviews/${held.review_id}/decision`, 200, { token: reviewerToken, body: { decision: 'approve', note: 'fine, /srv is scratch' } });
    await call('POST', `/api/reviews/${held.review_id}/decision`, 409, { token: reviewerToken, body: { decision: 'deny' } });
    await agent.verdictFor('e-review');
    agent.ack('e-review', 'discarded');
    // Edit-then-approve: refused while the project does not allow edits, then an edited approval.
    await call('POST', `/api/reviews/${held2.review_id}/decision`, 400, { token: reviewerToken, body: { decision: 'approve', input: { cmd: 'rm -rf /opt/cache' } } });
    await call('PATCH', `/api/projects/${project.id}`, 200, { token, body: { allow_edits: true } });
    await call('POST', `/api/reviews/${held2.review_id}/decision`, 200, { token: reviewerToken, body: { decision: 'approve', input: { cmd: 'rm -rf /opt/cache' } } });
    await agent.verdictFor('e-review-2');
    await call('GET', `/api/reviews/${held2.review_id}`, 200, { token });
    await call('GET', `/api/reviews/${withdrawn.review_id}`, 200, { token });
    await call('GET', `/api/reviews?status=withdrawn`, 200, { token });
    await call('GET', `/api/reviews/${held.review_id}`, 200, { token });
    await call('GET', '/api/reviews', 200, { token });
    await call('GET', '/api/overview', 200, { token });
    await call('GET', `/api/overview?project=${project.id}&range=7d`, 200, { token });
    await call('GET', `/api/sessions/${session}`, 200, { token });
    await agent.close();

    // A draft tested against a sample and the events above, the rules' history, and a pause.
    await call('POST', `/api/projects/${project.id}/rules/dry-run`, 200, {
      token,
      body: { default_action: 'block', rules: [{ tool: 'fs.*', action: 'allow' }], sample: { kind: 'tool', tool: 'fs.read', input: { path: '/tmp/x' } } },
    });
    await call('GET', `/api/projects/${project.id}/rules/history`, 200, { token });
    await call('POST', `/api/projects/${project.id}/pause`, 200, { token, body: { reason: 'openapi' } });
    await call('POST', `/api/projects/${project.id}/pause`, 409, { token, body: {} });
    await call('POST', `/api/projects/${project.id}/resume`, 200, { token });

    // Share links: limited and unlimited, opened, listed, revoked.
    const share = (await call('POST', `/api/sessions/${session}/shares`, 201, { token: reviewerToken, body: { expires_in_seconds: 3600, max_views: 5 } })).body;
    await call('POST', `/api/sessions/${session}/shares`, 201, { token, body: {} });
    await call('GET', `/api/public/shares/${share.token}`, 200);
    await call('GET', `/s/${share.token}`, 200);
    await call('GET', '/s/not-a-token', 404);
    await call('POST', `/api/public/shares/${share.token}/views`, 200);
    await call('GET', `/api/sessions/${session}/shares`, 200, { token });
    await call('GET', `/api/shares/${share.id}`, 200, { token });
    await call('GET', `/api/shares/${share.id}/views`, 200, { token });
    await call('DELETE', `/api/shares/${share.id}`, 204, { token });
    await call('GET', `/api/shares/${share.id}`, 200, { token });
    await call('POST', `/api/public/shares/${share.token}/views`, 410);
    await call('POST', `/api/sessions/${session}/end`, 200, { token });

    // Errors, each in the one error shape.
    await call('GET', '/api/projects', 401);
    await call('POST', '/api/projects', 400, { token, body: { name: '', mode: 'sometimes' } });
    await call('GET', '/api/reviews/00000000-0000-4000-8000-000000000000', 404, { token });
    await call('PUT', `/api/projects/${project.id}/rules`, 403, { token: reviewerToken, body: { default_action: 'allow', rules: [] } });

    await call('DELETE', `/api/api-keys/${key.id}`, 204, { token });
    await call('GET', '/api/projects/' + project.id + '/api-keys', 200, { token });
    await call('GET', '/api/audit?limit=100', 200, { token });
    await call('GET', `/api/audit/export?format=csv&project=${project.id}`, 200, { token });
    await call('GET', '/api/audit/export?format=jsonl&action=api_key.*', 200, { token });
    await call('GET', '/api/audit/verify', 200, { token });
    await call('POST', '/api/auth/logout', 204, { token: reviewerToken });
  });

  afterAll(async () => {
    await instance?.close();
    await db?.drop();
  });

  it('finds the mismatches it is meant to find', () => {
    const components = {
      schemas: {
        Rule: { type: 'object', properties: { tool: { type: 'string', nullable: true }, action: { type: 'string', enum: ['allow', 'block'] } }, required: ['action'] },
        Page: { type: 'object', properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Rule' } }, owner: { type: 'object', nullable: true, allOf: [{ $ref: '#/components/schemas/Rule' }] } }, required: ['items', 'owner'] },
      },
    };
    const page = { $ref: '#/components/schemas/Page' };
    expect(schemaMismatches({ components }, page, { items: [{ tool: 'shell.*', action: 'allow' }, { tool: null, action: 'block' }], owner: null })).toEqual([]);
    expect(schemaMismatches({ components }, page, { items: [{ tool: 7, action: 'maybe', extra: 1 }, {}], owner: { action: null } })).toEqual([
      '$.items[0].tool: declared string, got number 7',
      '$.items[0].action: "maybe" is not one of ["allow","block"]',
      '$.items[0].extra: not in the schema',
      '$.items[1].action: required, but missing',
      '$.owner.action: null, but the schema is not nullable',
    ]);
    expect(schemaMismatches({ components }, page, { items: 'x' })).toEqual(['$.owner: required, but missing', '$.items: declared array, got string "x"']);
    expect(schemaMismatches({ components }, { type: 'object', nullable: true }, { a: 1 })).toEqual(['$: an object with no declared properties']);
    expect(schemaMismatches({ components }, { type: 'string', format: 'uuid' }, 'nope')).toEqual(['$: declared uuid, got "nope"']);
  });

  it('declares a JSON schema for every response, and every JSON response (errors too) matches it', () => {
    const mismatches: string[] = [];
    for (const x of exchanges) {
      const route = routeOf(doc, x.url);
      const where = `${x.method.toUpperCase()} ${route ?? x.url} ${x.status}`;
      const operation = route ? doc.paths[route][x.method] : undefined;
      if (!operation) {
        mismatches.push(`${where}: not in the document`);
        continue;
      }
      // An error status the operation does not name is described by its `default` response.
      const declared = operation.responses[String(x.status)] ?? (x.status >= 400 ? operation.responses.default : undefined);
      const isJson = x.contentType.startsWith('application/json');
      if (!declared) {
        mismatches.push(`${where}: status not declared`);
        continue;
      }
      const schema = declared.content?.['application/json']?.schema;
      if (x.status === 204) {
        if (x.body !== undefined || declared.content) mismatches.push(`${where}: 204 with a body or a declared content`);
        continue;
      }
      if (!isJson) {
        const mediaType = x.contentType.split(';')[0];
        if (!declared.content?.[mediaType]) mismatches.push(`${where}: answered ${mediaType}, which is not declared`);
        continue;
      }
      if (!schema) {
        mismatches.push(`${where}: no JSON schema declared`);
        continue;
      }
      mismatches.push(...schemaMismatches(doc, schema, x.body).map((m) => `${where}: ${m}`));
    }
    expect([...new Set(mismatches)]).toEqual([]);
  });

  it('declares a request schema that every accepted request body matches', () => {
    const mismatches: string[] = [];
    for (const x of exchanges) {
      // Bodies the server refused were meant to be wrong.
      if (x.requestBody === undefined || x.status >= 400) continue;
      const route = routeOf(doc, x.url)!;
      const schema = doc.paths[route][x.method].requestBody?.content['application/json']?.schema;
      const where = `${x.method.toUpperCase()} ${route} request`;
      if (!schema) mismatches.push(`${where}: no request schema`);
      else mismatches.push(...schemaMismatches(doc, schema, x.requestBody).map((m) => `${where}: ${m}`));
    }
    expect([...new Set(mismatches)]).toEqual([]);
  });

  it('has every documented operation exercised above (but the event stream)', () => {
    const succeeded = new Set(exchanges.filter((x) => x.status < 300).map((x) => `${x.method} ${routeOf(doc, x.url)}`));
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    expect(documented.filter((op) => !succeeded.has(op) && !NOT_CALLED[op])).toEqual([]);
  });
});
