import { decodeCursor, encodeCursor, UUID_ID } from '../../src/infra/http/pagination.js';
import { type SignedInApp, signedInApp } from '../support/fixtures.js';
import { createShare, shareableSession } from '../shares/factories.js';

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const UUID = '7d0b3c84-1c8f-4a4e-9d55-2f1b8f0f2a11';

/** Cursors no list ever returned: garbage, base64 of garbage, and the right shape with the wrong types or values. */
const FORGED: Record<string, string> = {
  garbage: '!!not a cursor!!',
  'base64 of garbage': b64('garbage'),
  'base64 of JSON null': b64('null'),
  'an object': b64(JSON.stringify({ at: '2026-01-01T00:00:00.000Z', id: UUID })),
  'numbers for both': b64(JSON.stringify([1_700_000_000_000, 42])),
  'an id of the wrong kind': b64(JSON.stringify(['2026-01-01T00:00:00.000Z', 'not-an-id'])),
  'an id past int8 (19 digits)': b64(JSON.stringify(['2026-01-01T00:00:00.000Z', '9999999999999999999'])),
  'a date PostgreSQL cannot hold': b64(JSON.stringify(['-271821-04-20T00:00:00.000Z', UUID])),
  'a loose date': b64(JSON.stringify(['1', UUID])),
  'three elements': b64(JSON.stringify(['2026-01-01T00:00:00.000Z', UUID, 'x'])),
};

describe('a forged pagination cursor', () => {
  let world: SignedInApp;

  beforeAll(async () => {
    world = await signedInApp();
  });

  afterAll(() => world?.close());

  it('is a 400 validation_failed on every list route, never a 500', async () => {
    const { http, db, admin } = world;
    const session = await shareableSession(http, db.pool, admin.token);
    const share = await createShare(http, admin.token, session.sessionId);
    const routes = [
      '/api/reviews',
      `/api/sessions/${session.sessionId}/shares`,
      `/api/shares/${share.id}/views`,
      `/api/projects/${session.projectId}/webhooks`,
      `/api/projects/${session.projectId}/api-keys`,
      '/api/projects',
      '/api/sessions',
      '/api/users',
      '/api/audit',
    ];
    const answers: string[] = [];
    for (const route of routes) {
      for (const [name, cursor] of Object.entries(FORGED)) {
        const res = await http.get(`${route}?cursor=${encodeURIComponent(cursor)}`, { token: admin.token });
        answers.push(`${route} ${name}: ${res.status} ${res.body?.error?.code}`);
      }
    }
    // Every answer listed, so a failure names each route and cursor that went wrong.
    expect(answers.filter((a) => !a.endsWith(': 400 validation_failed'))).toEqual([]);
  });

  it('still accepts the cursors the lists return', async () => {
    const position = { at: new Date('2026-03-04T05:06:07.089Z'), id: UUID };
    expect(decodeCursor(encodeCursor(position), UUID_ID)).toEqual(position);
    expect(decodeCursor(undefined, UUID_ID)).toBeUndefined();
  });
});
