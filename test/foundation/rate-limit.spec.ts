import { RateLimitService } from '../../src/infra/rate-limit/rate-limit.service.js';
import { type Cluster, startCluster } from '../support/app.js';

/**
 * Concurrent hits on one key are counted together (one statement for those that arrive while the previous one runs);
 * each must still see the count it would have seen had they been counted one by one, on every instance.
 */
describe('RateLimitService', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster(2);
  });
  afterAll(() => cluster?.close());

  it('gives 300 concurrent hits from two instances the counts 1 to 300, each once', async () => {
    const limiters = cluster.apps.map((a) => a.app.get(RateLimitService));
    const states = await Promise.all(Array.from({ length: 300 }, (_, i) => limiters[i % 2].hit('test:concurrent', 60)));
    expect(states.map((s) => s.hits).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(states.every((s) => s.retryAfterSeconds >= 1 && s.retryAfterSeconds <= 60)).toBe(true);
    const { rows } = await cluster.db.pool.query("SELECT hits FROM rate_limit_buckets WHERE key = 'test:concurrent'");
    expect(rows[0].hits).toBe(300);
  });

  it('starts a new window for hits counted together after the old one ended', async () => {
    const limiter = cluster.apps[0].app.get(RateLimitService);
    await Promise.all(Array.from({ length: 5 }, () => limiter.hit('test:window', 60)));
    await cluster.db.pool.query("UPDATE rate_limit_buckets SET window_start = now() - interval '61 seconds' WHERE key = 'test:window'");
    const states = await Promise.all(Array.from({ length: 4 }, () => limiter.hit('test:window', 60)));
    expect(states.map((s) => s.hits).sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);
  });
});
