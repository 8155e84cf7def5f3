import { jest } from '@jest/globals';
import { PasswordHasher } from '../../src/auth/password-hasher.service.js';
import { type SignedIn, type SignedInApp, createUser, signIn, signedInApp } from '../support/fixtures.js';

/** A promise with its resolve function, to hold a request at a chosen point. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('credential changes racing sign-ins', () => {
  let world: SignedInApp;
  let { db, instance, http, admin } = {} as SignedInApp;
  let hasher: PasswordHasher;

  beforeAll(async () => {
    world = await signedInApp({ loginMaxFailures: 1000, loginMaxFailuresPerAddress: 1000 });
    ({ db, instance, http, admin } = world);
    hasher = instance.app.get(PasswordHasher);
  });

  afterEach(() => jest.restoreAllMocks());
  afterAll(() => world?.close());

  /**
   * Holds the next password check after argon2 has answered and before the caller goes on (to insert the session or
   * store the new password): `verified` resolves then, and the check returns once `release()` is called.
   */
  function holdNextVerify(): { verified: Promise<void>; release: () => void } {
    const original = hasher.verify.bind(hasher);
    const verified = gate();
    const released = gate();
    jest.spyOn(hasher, 'verify').mockImplementationOnce(async (hash, password) => {
      const ok = await original(hash, password);
      verified.open();
      await released.opened;
      return ok;
    });
    return { verified: verified.opened, release: released.open };
  }

  /** 200 only when the token signs in as someone (the answer is the account), else the refusal's status. */
  const meStatus = async (token: string) => {
    const res = await http.get('/api/auth/me', { token });
    return res.status === 200 && typeof res.body?.id === 'string' ? 200 : res.status === 200 ? 500 : res.status;
  };

  it('refuses a sign-in whose password was changed between its check and its session', async () => {
    const user = await createUser(http, admin.token, 'reviewer');
    const held = holdNextVerify();
    const login = http.post('/api/auth/login', { email: user.email, password: user.password });
    await held.verified;
    const changed = await http.post('/api/auth/change-password', { current_password: user.password, new_password: `${user.password}-new` }, { token: user.token });
    expect(changed.status).toBe(204);
    held.release();
    const res = await login;
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_credentials');
    // No session made with the old password exists.
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM user_sessions WHERE user_id = $1', [user.id]);
    expect(rows[0].n).toBe(1);
    expect(await meStatus(user.token)).toBe(200);
  });

  it('refuses a sign-in whose account was disabled between its check and its session', async () => {
    const user = await createUser(http, admin.token, 'viewer');
    const held = holdNextVerify();
    const login = http.post('/api/auth/login', { email: user.email, password: user.password });
    await held.verified;
    expect((await http.patch(`/api/users/${user.id}`, { disabled: true }, { token: admin.token })).status).toBe(200);
    held.release();
    expect((await login).status).toBe(401);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM user_sessions WHERE user_id = $1', [user.id]);
    expect(rows[0].n).toBe(0);
  });

  it('leaves no session made with the old password when many sign-ins race a change', async () => {
    const user = await createUser(http, admin.token, 'reviewer');
    const next = `${user.password}-rotated`;
    const logins = Array.from({ length: 10 }, () => http.post('/api/auth/login', { email: user.email, password: user.password }));
    const change = http.post('/api/auth/change-password', { current_password: user.password, new_password: next }, { token: user.token });
    const results = await Promise.all(logins);
    expect((await change).status).toBe(204);
    const alive = [];
    for (const res of results) if (res.status === 200 && (await meStatus(res.body.token)) === 200) alive.push(res.body.token);
    expect(alive).toEqual([]);
    expect(await meStatus(await signIn(http, user.email, next))).toBe(200);
  });

  it('lets only one of two password changes over the same current password win', async () => {
    const user = await createUser(http, admin.token, 'reviewer');
    const otherSession = await signIn(http, user.email, user.password);
    const held = holdNextVerify();
    const first = http.post('/api/auth/change-password', { current_password: user.password, new_password: 'first new password 123' }, { token: user.token });
    await held.verified;
    const second = await http.post('/api/auth/change-password', { current_password: user.password, new_password: 'second new password 456' }, { token: otherSession });
    expect(second.status).toBe(204);
    held.release();
    const res = await first;
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/current_password/);
    // The password is the one the change that won set, and its session is the only one left.
    expect(await meStatus(await signIn(http, user.email, 'second new password 456'))).toBe(200);
    expect((await http.post('/api/auth/login', { email: user.email, password: 'first new password 123' })).status).toBe(401);
  });
});

describe('the last enabled admin', () => {
  let world: SignedInApp;
  let { db, http, admin } = {} as SignedInApp;

  beforeAll(async () => {
    world = await signedInApp({ loginMaxFailures: 1000, loginMaxFailuresPerAddress: 1000 });
    ({ db, http, admin } = world);
  });

  afterAll(() => world?.close());

  const enabledAdmins = async () => (await db.pool.query("SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND NOT disabled")).rows[0].n as number;

  it('survives two admins demoting or disabling each other at once: one wins, the other gets 409 last_admin', async () => {
    const other = await createUser(http, admin.token, 'admin');
    const refusals: string[] = [];
    for (let round = 0; round < 12; round++) {
      // Both enabled admins again, freshly signed in (a disable ended the loser's sessions).
      await db.pool.query("UPDATE users SET role = 'admin', disabled = false WHERE id = ANY($1::uuid[])", [[admin.id, other.id]]);
      const [a, b]: SignedIn[] = [
        { ...admin, token: await signIn(http, admin.email, admin.password) },
        { ...other, token: await signIn(http, other.email, other.password) },
      ];
      const change = round % 2 === 0 ? { role: 'reviewer' } : { disabled: true };
      const answers = await Promise.all([
        http.patch(`/api/users/${b.id}`, change, { token: a.token }),
        http.patch(`/api/users/${a.id}`, change, { token: b.token }),
      ]);
      expect(await enabledAdmins()).toBeGreaterThanOrEqual(1);
      const statuses = answers.map((r) => r.status).sort();
      // The loser is refused by the statement (409), or by the guard if the winner had already committed (403/401).
      expect(statuses[0]).toBe(200);
      expect([401, 403, 409]).toContain(statuses[1]);
      for (const res of answers) if (res.status === 409) refusals.push(res.body.error.code);
    }
    expect(refusals.length).toBeGreaterThan(0);
    expect(new Set(refusals)).toEqual(new Set(['last_admin']));
  });
});
