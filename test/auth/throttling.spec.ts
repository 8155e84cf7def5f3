import { randomBytes } from 'node:crypto';
import { type SignedInPair, createUser, signedInPair } from '../support/fixtures.js';
import type { HttpClient } from '../support/http.js';

const MAX_FAILURES = 3;
const MAX_FAILURES_PER_ADDRESS = 5;
const WINDOW_SECONDS = 900;

/** A client address no other attempt used (the instances trust the loopback proxy's X-Forwarded-For). */
let addressCounter = 0;
const nextAddress = () => `203.0.113.${++addressCounter}`;

describe('sign-in throttling across two instances on one database', () => {
  let world: SignedInPair;
  let { db, one, two, http1, http2, admin } = {} as SignedInPair;

  beforeAll(async () => {
    world = await signedInPair({ loginMaxFailures: MAX_FAILURES, loginMaxFailuresPerAddress: MAX_FAILURES_PER_ADDRESS, loginWindowSeconds: WINDOW_SECONDS, trustProxy: 'loopback' });
    ({ db, one, two, http1, http2, admin } = world);
  });

  afterAll(() => world?.close());

  const login = (http: HttpClient, email: string, password: string, address: string) =>
    http.post('/api/auth/login', { email, password }, { headers: { 'x-forwarded-for': address } });

  it(`answers 429 rate_limited with Retry-After on either instance after ${MAX_FAILURES} failures on one account, even with the right password`, async () => {
    const person = await createUser(http1, admin.token, 'viewer');
    const address = nextAddress();
    for (let i = 0; i < MAX_FAILURES; i++) {
      const res = await login(i % 2 === 0 ? http1 : http2, person.email, 'wrong password', address);
      expect(res.status).toBe(401);
    }
    for (const http of [http1, http2]) {
      const res = await login(http, person.email, person.password, address);
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe('rate_limited');
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
    }
    // Per account: another address gets no further with this account.
    expect((await login(http2, person.email, person.password, nextAddress())).status).toBe(429);
    // …and the account's own sessions are unaffected, nor are other accounts from the same address.
    expect((await http2.get('/api/auth/me', { token: person.token })).status).toBe(200);
    const other = await createUser(http1, admin.token, 'viewer');
    expect((await login(http1, other.email, other.password, address)).status).toBe(200);
  });

  it('counts attempts atomically: of many concurrent wrong guesses on two instances, exactly the limit are checked', async () => {
    const person = await createUser(http1, admin.token, 'reviewer');
    // Each from its own address, so only the per-account limit is in play.
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => login(i % 2 === 0 ? http1 : http2, person.email, `guess-${i}`, nextAddress())),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(MAX_FAILURES);
    expect(statuses.filter((s) => s === 429)).toHaveLength(12 - MAX_FAILURES);
  });

  it(`throttles one client address after ${MAX_FAILURES_PER_ADDRESS} failures on any accounts, on either instance`, async () => {
    const address = nextAddress();
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) {
      const res = await login(i % 2 === 0 ? http2 : http1, `nobody-${i}-${randomBytes(3).toString('hex')}@arbiter.test`, 'guess', address);
      expect(res.status).toBe(401);
    }
    const person = await createUser(http1, admin.token, 'viewer');
    for (const http of [http1, http2]) {
      const res = await login(http, person.email, person.password, address);
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe('rate_limited');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect((await login(http2, person.email, person.password, nextAddress())).status).toBe(200);
  });

  it('does not count successful sign-ins against the address', async () => {
    const address = nextAddress();
    const person = await createUser(http1, admin.token, 'viewer');
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS * 2; i++) {
      expect((await login(i % 2 === 0 ? http1 : http2, person.email, person.password, address)).status).toBe(200);
    }
  });

  it('clears the account count on a successful sign-in', async () => {
    const person = await createUser(http1, admin.token, 'viewer');
    const address = nextAddress();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < MAX_FAILURES - 1; i++) expect((await login(http1, person.email, 'wrong', address)).status).toBe(401);
      expect((await login(http2, person.email, person.password, address)).status).toBe(200);
    }
  });

  it('lifts the limit once the window has passed', async () => {
    const person = await createUser(http1, admin.token, 'viewer');
    const address = nextAddress();
    for (let i = 0; i < MAX_FAILURES; i++) await login(http1, person.email, 'wrong', address);
    expect((await login(http2, person.email, person.password, address)).status).toBe(429);
    // Move the account's window into the past instead of waiting 15 minutes.
    await db.pool.query("UPDATE rate_limit_buckets SET window_start = now() - make_interval(secs => $2) WHERE key = $1", [`login:account:${person.email}`, WINDOW_SECONDS + 1]);
    expect((await login(http2, person.email, person.password, address)).status).toBe(200);
  });

  it('keeps the counts in PostgreSQL, not in process memory', async () => {
    const person = await createUser(http1, admin.token, 'viewer');
    await login(http2, person.email, 'wrong', nextAddress());
    const { rows } = await db.pool.query('SELECT hits FROM rate_limit_buckets WHERE key = $1', [`login:account:${person.email}`]);
    expect(rows).toEqual([{ hits: 1 }]);
  });

  it('counts wrong current passwords on change-password against the same account limit', async () => {
    const person = await createUser(http1, admin.token, 'viewer');
    for (let i = 0; i < MAX_FAILURES; i++) {
      const res = await (i % 2 === 0 ? http1 : http2).post('/api/auth/change-password', { current_password: `guess-${i}`, new_password: 'whatever-new-password' }, { token: person.token });
      expect(res.status).toBe(403);
    }
    const res = await http2.post('/api/auth/change-password', { current_password: person.password, new_password: 'whatever-new-password' }, { token: person.token });
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('rate_limited');
    expect((await login(http1, person.email, person.password, nextAddress())).status).toBe(429);
  });
});
