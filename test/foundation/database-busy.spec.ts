import type pg from 'pg';
import { PrismaService } from '../../src/infra/database/prisma.service.js';
import { type SignedInApp, signedInApp } from '../support/fixtures.js';

/**
 * A request that finds no free database connection within the pool's wait (5 s) is answered 503 with Retry-After, a
 * state to retry, not a 500 (seen under extreme load in the share-view race test before this).
 */
describe('a request when every database connection is taken', () => {
  let world: SignedInApp;

  beforeAll(async () => {
    world = await signedInApp({ dbPoolSize: 2 });
  });
  afterAll(() => world?.close());

  it('is a 503 not_ready with Retry-After, and the next request after the burst succeeds', async () => {
    const pool = world.instance.app.get(PrismaService).pool;
    const held: pg.PoolClient[] = await Promise.all([pool.connect(), pool.connect()]);
    let res: Awaited<ReturnType<typeof world.http.get>>;
    try {
      res = await world.http.get('/api/projects', { token: world.admin.token });
    } finally {
      for (const client of held) client.release();
    }
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: { code: 'not_ready', message: 'the database is busy or unreachable; retry shortly' } });
    expect(res.headers.get('retry-after')).toBe('1');
    expect((await world.http.get('/api/projects', { token: world.admin.token })).status).toBe(200);
  });
});
