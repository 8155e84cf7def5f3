import { type SignedInApp, signIn, signedInApp } from '../support/fixtures.js';

describe('creating users: a generated initial password, or one set by the admin', () => {
  let world: SignedInApp;
  let { http, admin } = {} as SignedInApp;

  beforeAll(async () => {
    world = await signedInApp();
    ({ http, admin } = world);
  });

  afterAll(() => world?.close());

  it('generates a password when none is given, shows it once, and makes the user change it at first sign-in', async () => {
    const created = await http.post('/api/users', { email: 'New.Person@Arbiter.test', role: 'reviewer' }, { token: admin.token });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'new.person@arbiter.test', role: 'reviewer', must_change_password: true, password: expect.stringMatching(/^[A-Za-z0-9_-]{24}$/) });

    const listed = await http.get('/api/users', { token: admin.token });
    const row = listed.body.items.find((u: { id: string }) => u.id === created.body.id);
    expect(row).toEqual({ id: created.body.id, email: 'new.person@arbiter.test', role: 'reviewer', disabled: false, must_change_password: true, created_at: expect.any(String) });

    const token = await signIn(http, 'new.person@arbiter.test', created.body.password);
    const refused = await http.get('/api/reviews', { token });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('password_change_required');
    expect((await http.post('/api/auth/change-password', { current_password: created.body.password, new_password: 'a password of my own' }, { token })).status).toBe(204);
    expect((await http.get('/api/reviews', { token })).status).toBe(200);
  });

  it('takes a password the admin sets, with or without a forced change, and never echoes it', async () => {
    const plain = await http.post('/api/users', { email: 'set@arbiter.test', password: 'chosen by the admin', role: 'viewer' }, { token: admin.token });
    expect(plain.status).toBe(201);
    expect(plain.body.must_change_password).toBe(false);
    expect(plain.body).not.toHaveProperty('password');

    const forced = await http.post('/api/users', { email: 'forced@arbiter.test', password: 'chosen by the admin', role: 'viewer', must_change_password: true }, { token: admin.token });
    expect(forced.body).toMatchObject({ must_change_password: true });
    expect(forced.body).not.toHaveProperty('password');
  });

  it('refuses a short password, a null one, and a non-boolean flag', async () => {
    for (const body of [
      { email: 'short@arbiter.test', password: 'short', role: 'viewer' },
      { email: 'null@arbiter.test', password: null, role: 'viewer' },
      { email: 'flag@arbiter.test', role: 'viewer', must_change_password: 'yes' },
    ]) {
      const res = await http.post('/api/users', body, { token: admin.token });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });
});
