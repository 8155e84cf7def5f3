import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ShareCleanupService } from '../../src/shares/share-cleanup.service.js';
import { type SignedIn, type SignedInApp, createUser, signedInApp } from '../support/fixtures.js';
import { type CreatedShare, createShare, insertEvent, insertReview, insertVerdict, shareableSession } from './factories.js';

const DAY = 86400;

describe('share links over HTTP', () => {
  let world: SignedInApp;
  let { db, instance, http, admin } = {} as SignedInApp;
  let reviewer: SignedIn;
  let otherReviewer: SignedIn;
  let viewer: SignedIn;
  let session: Awaited<ReturnType<typeof shareableSession>>;

  const linkRow = async (id: string) =>
    (await db.pool.query('SELECT token_hash, view_count, revoked_at, revoked_by FROM share_links WHERE id = $1', [id])).rows[0];
  const viewRows = async (id: string) => (await db.pool.query('SELECT * FROM share_views WHERE share_id = $1', [id])).rows;
  const tokenOf = (share: CreatedShare) => share.token;

  beforeAll(async () => {
    // The limiter has a file of its own; here it must not get in the way.
    world = await signedInApp({ sharePublicRateLimit: 1_000_000, publicUrl: 'https://arbiter.example.test' });
    ({ db, instance, http, admin } = world);
    reviewer = await createUser(http, admin.token, 'reviewer');
    otherReviewer = await createUser(http, admin.token, 'reviewer');
    viewer = await createUser(http, admin.token, 'viewer');
    session = await shareableSession(http, db.pool, admin.token, { label: 'nightly-deploy' });
  });

  afterAll(() => world?.close());

  describe('creating', () => {
    it('gives a reviewer a 43-character token once, a url under PUBLIC_URL, a 7-day default expiry, and stores only its SHA-256', async () => {
      const before = Date.now();
      const res = await http.post(`/api/sessions/${session.sessionId}/shares`, {}, { token: reviewer.token });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(['created_at', 'expires_at', 'id', 'max_views', 'session_id', 'token', 'url']);
      const { token, url, expires_at, max_views } = res.body;
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(url).toBe(`https://arbiter.example.test/s/${token}`);
      expect(max_views).toBeNull();
      const expiry = new Date(expires_at).getTime();
      expect(expiry).toBeGreaterThanOrEqual(before + 7 * DAY * 1000 - 60_000);
      expect(expiry).toBeLessThanOrEqual(Date.now() + 7 * DAY * 1000 + 60_000);
      expect((await linkRow(res.body.id)).token_hash).toBe(createHash('sha256').update(token).digest('hex'));
      // The url's path is a route that exists.
      const page = await http.get(new URL(url).pathname);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      // Nobody can read the token again.
      const again = await http.get(`/api/shares/${res.body.id}`, { token: admin.token });
      expect(JSON.stringify(again.body)).not.toContain(token);
    });

    it('lets an admin set the expiry and view limit, up to 90 days and 1,000,000 views', async () => {
      const res = await http.post(`/api/sessions/${session.sessionId}/shares`, { expires_in_seconds: 90 * DAY, max_views: 1_000_000 }, { token: admin.token });
      expect(res.status).toBe(201);
      expect(res.body.max_views).toBe(1_000_000);
      expect(Math.abs(new Date(res.body.expires_at).getTime() - (Date.now() + 90 * DAY * 1000))).toBeLessThan(60_000);
      const small = await http.post(`/api/sessions/${session.sessionId}/shares`, { expires_in_seconds: 1, max_views: 1 }, { token: admin.token });
      expect(small.status).toBe(201);
    });

    it.each([
      [{ expires_in_seconds: 0 }, 'expires_in_seconds'],
      [{ expires_in_seconds: -60 }, 'expires_in_seconds'],
      [{ expires_in_seconds: 90 * DAY + 1 }, 'expires_in_seconds'],
      [{ expires_in_seconds: 1.5 }, 'expires_in_seconds'],
      [{ expires_in_seconds: '3600' }, 'expires_in_seconds'],
      [{ max_views: 0 }, 'max_views'],
      [{ max_views: -1 }, 'max_views'],
      [{ max_views: 1_000_001 }, 'max_views'],
      [{ max_views: 2.5 }, 'max_views'],
      [{ max_viewz: 3 }, 'max_viewz'],
    ])('refuses %j with a 400 naming %s, without clamping', async (body, field) => {
      const before = (await db.pool.query('SELECT count(*)::int AS n FROM share_links')).rows[0].n;
      const res = await http.post(`/api/sessions/${session.sessionId}/shares`, body, { token: reviewer.token });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.message).toContain(field);
      expect((await db.pool.query('SELECT count(*)::int AS n FROM share_links')).rows[0].n).toBe(before);
    });

    it('refuses a viewer (403) and an anonymous caller (401)', async () => {
      const byViewer = await http.post(`/api/sessions/${session.sessionId}/shares`, {}, { token: viewer.token });
      expect(byViewer.status).toBe(403);
      expect(byViewer.body.error.code).toBe('forbidden');
      expect((await http.post(`/api/sessions/${session.sessionId}/shares`, {})).status).toBe(401);
    });

    it('answers 404 for a session that does not exist and 400 for one that is not a uuid', async () => {
      const missing = await http.post(`/api/sessions/${randomUUID()}/shares`, {}, { token: reviewer.token });
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('not_found');
      expect((await http.post('/api/sessions/not-a-uuid/shares', {}, { token: reviewer.token })).status).toBe(400);
    });

    it('records share.create in the audit log, without the token', async () => {
      const share = await createShare(http, reviewer.token, session.sessionId, { max_views: 3 });
      const { rows } = await db.pool.query("SELECT * FROM audit_entries WHERE action = 'share.create' AND target_id = $1", [share.id]);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ actor_type: 'user', actor_id: reviewer.id, target_type: 'share_link' });
      expect(rows[0].details).toMatchObject({ session_id: session.sessionId, max_views: 3, expires_at: share.expires_at });
      expect(JSON.stringify(rows[0])).not.toContain(share.token);
    });
  });

  describe('reading and revoking', () => {
    it("lets any signed-in user list a session's links and read one: counts, remaining views and state, never a token", async () => {
      const fresh = await shareableSession(http, db.pool, admin.token);
      const a = await createShare(http, reviewer.token, fresh.sessionId, { max_views: 5 });
      const b = await createShare(http, admin.token, fresh.sessionId);
      await http.post(`/api/public/shares/${a.token}/views`);

      const list = await http.get(`/api/sessions/${fresh.sessionId}/shares`, { token: viewer.token });
      expect(list.status).toBe(200);
      expect(list.body.next_cursor).toBeNull();
      expect(list.body.items.map((i: { id: string }) => i.id)).toEqual([b.id, a.id]);
      expect(JSON.stringify(list.body)).not.toContain(a.token);
      expect(JSON.stringify(list.body)).not.toContain(b.token);

      const one = await http.get(`/api/shares/${a.id}`, { token: viewer.token });
      expect(one.status).toBe(200);
      expect(one.body).toEqual({
        id: a.id,
        session_id: fresh.sessionId,
        created_by: reviewer.id,
        created_at: expect.any(String),
        expires_at: a.expires_at,
        max_views: 5,
        view_count: 1,
        remaining_views: 4,
        state: 'valid',
        revoked_at: null,
        revoked_by: null,
      });
      expect((await http.get(`/api/shares/${b.id}`, { token: viewer.token })).body).toMatchObject({ max_views: null, remaining_views: null, state: 'valid' });
    });

    it('pages through a long list with next_cursor', async () => {
      const fresh = await shareableSession(http, db.pool, admin.token);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await createShare(http, reviewer.token, fresh.sessionId)).id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await http.get(`/api/sessions/${fresh.sessionId}/shares?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: viewer.token });
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items.map((i: { id: string }) => i.id));
        cursor = res.body.next_cursor;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
    });

    it('answers 404 for a share or session that does not exist', async () => {
      expect((await http.get(`/api/shares/${randomUUID()}`, { token: viewer.token })).status).toBe(404);
      expect((await http.get(`/api/sessions/${randomUUID()}/shares`, { token: viewer.token })).status).toBe(404);
      expect((await http.delete(`/api/shares/${randomUUID()}`, { token: admin.token })).status).toBe(404);
    });

    it('lets only the creator or an admin revoke, audits it once, and keeps the revoked link', async () => {
      const share = await createShare(http, reviewer.token, session.sessionId);
      for (const other of [otherReviewer, viewer]) {
        const res = await http.delete(`/api/shares/${share.id}`, { token: other.token });
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
      expect((await linkRow(share.id)).revoked_at).toBeNull();

      expect((await http.delete(`/api/shares/${share.id}`, { token: reviewer.token })).status).toBe(204);
      expect((await http.delete(`/api/shares/${share.id}`, { token: reviewer.token })).status).toBe(204);
      const row = await linkRow(share.id);
      expect(row.revoked_at).toBeInstanceOf(Date);
      expect(row.revoked_by).toBe(reviewer.id);
      const audits = await db.pool.query("SELECT actor_id FROM audit_entries WHERE action = 'share.revoke' AND target_id = $1", [share.id]);
      expect(audits.rows).toEqual([{ actor_id: reviewer.id }]);
      expect((await http.get(`/api/shares/${share.id}`, { token: viewer.token })).body).toMatchObject({ state: 'revoked', revoked_by: reviewer.id });

      const byAdmin = await createShare(http, otherReviewer.token, session.sessionId);
      expect((await http.delete(`/api/shares/${byAdmin.id}`, { token: admin.token })).status).toBe(204);
      expect((await linkRow(byAdmin.id)).revoked_by).toBe(admin.id);
    });

    it('shows the view log, newest first and paginated, to the creator and admins only', async () => {
      const share = await createShare(http, reviewer.token, session.sessionId);
      for (const agent of ['agent-one', 'agent-two', 'agent-three']) {
        expect((await http.post(`/api/public/shares/${share.token}/views`, undefined, { headers: { 'user-agent': agent } })).status).toBe(200);
      }
      for (const other of [otherReviewer, viewer]) {
        expect((await http.get(`/api/shares/${share.id}/views`, { token: other.token })).status).toBe(403);
      }
      const first = await http.get(`/api/shares/${share.id}/views?limit=2`, { token: reviewer.token });
      expect(first.status).toBe(200);
      expect(first.body.items.map((v: { user_agent: string }) => v.user_agent)).toEqual(['agent-three', 'agent-two']);
      expect(first.body.next_cursor).toEqual(expect.any(String));
      const second = await http.get(`/api/shares/${share.id}/views?limit=2&cursor=${first.body.next_cursor}`, { token: admin.token });
      expect(second.body.items.map((v: { user_agent: string }) => v.user_agent)).toEqual(['agent-one']);
      expect(second.body.next_cursor).toBeNull();
      const item = first.body.items[0];
      expect(Object.keys(item).sort()).toEqual(['at', 'client_hash', 'id', 'user_agent']);
      // The address is kept as an HMAC under the server secret, the same for the same address.
      expect(item.client_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(new Set([...first.body.items, ...second.body.items].map((v: { client_hash: string }) => v.client_hash)).size).toBe(1);
      expect(JSON.stringify((await db.pool.query('SELECT * FROM share_views')).rows)).not.toMatch(/127\.0\.0\.1|::1/);
    });
  });

  describe('the public side', () => {
    it('tells a link state without using a view', async () => {
      const share = await createShare(http, reviewer.token, session.sessionId, { max_views: 4 });
      const res = await http.get(`/api/public/shares/${share.token}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ state: 'valid', expires_at: share.expires_at, remaining_views: 4 });
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect((await linkRow(share.id)).view_count).toBe(0);
    });

    it('uses no view for 50 GETs of the page and 50 of the state endpoint, and exactly one per POST', async () => {
      const share = await createShare(http, reviewer.token, session.sessionId, { max_views: 3 });
      const path = new URL(share.url).pathname;
      const gets = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? http.get(path) : http.get(`/api/public/shares/${share.token}`))),
      );
      expect(gets.map((r) => r.status)).toEqual(Array(100).fill(200));
      expect((await linkRow(share.id)).view_count).toBe(0);
      expect(await viewRows(share.id)).toHaveLength(0);
      expect((await http.get(`/api/public/shares/${share.token}`)).body.remaining_views).toBe(3);

      const viewed = await http.post(`/api/public/shares/${share.token}/views`);
      expect(viewed.status).toBe(200);
      expect(viewed.body.share).toMatchObject({ view_count: 1, remaining_views: 2, max_views: 3 });
      expect((await linkRow(share.id)).view_count).toBe(1);
      expect(await viewRows(share.id)).toHaveLength(1);
    });

    it("returns the session's transcript in order: label, project, and each event's kind, tool, input, verdict, decision source, review decision and times", async () => {
      const s = await shareableSession(http, db.pool, admin.token, { label: 'invoice-run-42' });
      const e1 = await insertEvent(db.pool, s.sessionId, { kind: 'tool', tool: 'shell', input: { cmd: 'ls -la' } });
      await insertVerdict(db.pool, s.sessionId, e1, { decision: 'allow', reason: 'default allow', source: 'policy' });
      const e2 = await insertEvent(db.pool, s.sessionId, { kind: 'tool', tool: 'http.post', input: { url: 'https://pay.example' }, ruleAction: 'review' });
      const reviewId = await insertReview(db.pool, { projectId: s.projectId, sessionId: s.sessionId, event: e2, status: 'denied', decidedById: reviewer.id, note: 'internal note' });
      await insertVerdict(db.pool, s.sessionId, e2, { decision: 'block', reason: 'denied by reviewer', source: 'review', reviewId });
      const e3 = await insertEvent(db.pool, s.sessionId, { kind: 'llm', tool: null, input: { prompt: 'summarise' } });
      const share = await createShare(http, reviewer.token, s.sessionId);

      const res = await http.post(`/api/public/shares/${share.token}/views`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const t = res.body;
      expect(t.project).toEqual({ name: s.projectName });
      expect(t.session).toMatchObject({ label: 'invoice-run-42', created_at: expect.any(String) });
      expect(t.share).toMatchObject({ expires_at: share.expires_at, max_views: null, view_count: 1, remaining_views: null });
      expect(t.truncated).toBe(false);
      expect(t.events.map((e: { event_id: string }) => e.event_id)).toEqual([e1.eventId, e2.eventId, e3.eventId]);
      expect(t.events[0]).toEqual({
        event_id: e1.eventId,
        kind: 'tool',
        tool: 'shell',
        agent_id: null,
        input: { cmd: 'ls -la' },
        created_at: expect.any(String),
        verdict: { decision: 'allow', reason: 'default allow', source: 'policy', created_at: expect.any(String), ack_status: null, edited: false },
        review: null,
      });
      expect(t.events[1].verdict).toMatchObject({ decision: 'block', source: 'review' });
      expect(t.events[1].review).toEqual({ status: 'denied', decided_at: expect.any(String) });
      expect(t.events[2]).toMatchObject({ kind: 'llm', tool: null, verdict: null, review: null });
      // Internal details stay inside: no reviewer identity or notes, no rule snapshots, no ids of other rows.
      const text = JSON.stringify(t);
      for (const hidden of ['internal note', reviewer.id, reviewer.email, s.sessionId, s.projectId, share.token]) expect(text).not.toContain(hidden);
    });

    it('shares a session without events as an empty transcript', async () => {
      const s = await shareableSession(http, db.pool, admin.token, { label: 'quiet-run' });
      const share = await createShare(http, reviewer.token, s.sessionId);
      const res = await http.post(`/api/public/shares/${share.token}/views`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ project: { name: s.projectName }, session: { label: 'quiet-run' }, events: [], truncated: false });
    });

    it('caps a transcript at its first 5000 events and says it is truncated', async () => {
      const s = await shareableSession(http, db.pool, admin.token);
      await db.pool.query(
        `INSERT INTO agent_events (id, session_id, event_id, kind, tool, input, input_sha256, rule_action)
         SELECT gen_random_uuid(), $1, 'e' || n, 'tool', 'shell', jsonb_build_object('n', n), 'x', 'allow' FROM generate_series(1, 5001) AS n`,
        [s.sessionId],
      );
      const share = await createShare(http, reviewer.token, s.sessionId);
      const res = await http.post(`/api/public/shares/${share.token}/views`);
      expect(res.status).toBe(200);
      expect(res.body.truncated).toBe(true);
      expect(res.body.events).toHaveLength(5000);
      expect(res.body.events[0].input).toEqual({ n: 1 });
      expect(res.body.events[4999].input).toEqual({ n: 5000 });
    });

    it("redacts the project's redact_keys at any depth, case-insensitively, in the JSON and so in the page", async () => {
      const secrets = ['hunter2-pw', 'sk-live-abc', 'bearer-xyz', 'deep-token-1', 'array-secret-2'];
      const s = await shareableSession(http, db.pool, admin.token);
      await insertEvent(db.pool, s.sessionId, {
        input: {
          user: 'ops',
          password: secrets[0],
          config: { API_KEY: secrets[1], headers: { Authorization: secrets[2] } },
          steps: [{ nested: { deeper: { Token: secrets[3] } } }, { secret: { value: secrets[4] } }],
        },
      });
      const custom = await shareableSession(http, db.pool, admin.token, { redact_keys: ['card_number'] });
      await insertEvent(db.pool, custom.sessionId, { input: { Card_Number: '4111-1111', password: 'not-in-this-list' } });

      const share = await createShare(http, reviewer.token, s.sessionId);
      const res = await http.post(`/api/public/shares/${share.token}/views`);
      expect(res.status).toBe(200);
      expect(res.body.events[0].input).toEqual({
        user: 'ops',
        password: '[redacted]',
        config: { API_KEY: '[redacted]', headers: { Authorization: '[redacted]' } },
        steps: [{ nested: { deeper: { Token: '[redacted]' } } }, { secret: '[redacted]' }],
      });
      const page = await http.get(new URL(share.url).pathname);
      for (const secret of secrets) {
        expect(JSON.stringify(res.body)).not.toContain(secret);
        expect(page.body).not.toContain(secret);
      }

      const customShare = await createShare(http, reviewer.token, custom.sessionId);
      const customRes = await http.post(`/api/public/shares/${customShare.token}/views`);
      expect(customRes.body.events[0].input).toEqual({ Card_Number: '[redacted]', password: 'not-in-this-list' });
    });

    it('answers 410 expired for an expired link, and says so in its state', async () => {
      const share = await createShare(http, reviewer.token, session.sessionId);
      await db.pool.query("UPDATE share_links SET expires_at = now() - interval '1 second' WHERE id = $1", [share.id]);
      const res = await http.post(`/api/public/shares/${tokenOf(share)}/views`);
      expect(res.status).toBe(410);
      expect(res.body).toEqual({ error: { code: 'expired', message: expect.any(String) } });
      expect((await http.get(`/api/public/shares/${share.token}`)).body.state).toBe('expired');
      expect((await linkRow(share.id)).view_count).toBe(0);
    });

    it('answers 410 revoked for a revoked link, even once it has also expired', async () => {
      const share = await createShare(http, reviewer.token, session.sessionId);
      expect((await http.delete(`/api/shares/${share.id}`, { token: reviewer.token })).status).toBe(204);
      const res = await http.post(`/api/public/shares/${share.token}/views`);
      expect(res.status).toBe(410);
      expect(res.body.error.code).toBe('revoked');
      expect((await http.get(`/api/public/shares/${share.token}`)).body.state).toBe('revoked');
      await db.pool.query("UPDATE share_links SET expires_at = now() - interval '1 second' WHERE id = $1", [share.id]);
      expect((await http.post(`/api/public/shares/${share.token}/views`)).body.error.code).toBe('revoked');
      expect((await linkRow(share.id)).view_count).toBe(0);
    });

    it('answers 410 view_limit_reached once the views are used up', async () => {
      const share = await createShare(http, reviewer.token, session.sessionId, { max_views: 2 });
      expect((await http.post(`/api/public/shares/${share.token}/views`)).status).toBe(200);
      expect((await http.post(`/api/public/shares/${share.token}/views`)).status).toBe(200);
      const res = await http.post(`/api/public/shares/${share.token}/views`);
      expect(res.status).toBe(410);
      expect(res.body.error.code).toBe('view_limit_reached');
      expect((await http.get(`/api/public/shares/${share.token}`)).body).toMatchObject({ state: 'exhausted', remaining_views: 0 });
      expect((await linkRow(share.id)).view_count).toBe(2);
      expect(await viewRows(share.id)).toHaveLength(2);
    });

    it('answers 404 not_found for an unknown token on the state and view routes', async () => {
      const unknown = randomBytes(32).toString('base64url');
      for (const res of [await http.get(`/api/public/shares/${unknown}`), await http.post(`/api/public/shares/${unknown}/views`)]) {
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('not_found');
        expect(res.headers.get('cache-control')).toBe('no-store');
      }
      // The page itself is static; its script asks the state route and says the link does not exist.
      expect((await http.get(`/s/${unknown}`)).status).toBe(200);
    });

    it('answers 404 not_found for a malformed token without touching the database', async () => {
      const hits = async () => (await db.pool.query("SELECT coalesce(sum(hits), 0)::int AS n FROM rate_limit_buckets WHERE key LIKE 'share-public:%'")).rows[0].n;
      const before = await hits();
      const valid = randomBytes(32).toString('base64url');
      for (const bad of [valid.slice(1), valid + 'A', `${valid.slice(1)}=`, `${valid.slice(1)}.`, 'x', 'a%20b']) {
        for (const res of [await http.get(`/api/public/shares/${bad}`), await http.post(`/api/public/shares/${bad}/views`), await http.get(`/s/${bad}`)]) {
          expect(res.status).toBe(404);
        }
        expect((await http.get(`/api/public/shares/${bad}`)).body.error.code).toBe('not_found');
      }
      // Not even the rate limiter's counter moved: the format is checked before any statement runs.
      expect(await hits()).toBe(before);
    });

    it('serves the page with no-store, no-referrer, noindex and a per-response nonce CSP that allows no other script', async () => {
      const share = await createShare(http, reviewer.token, session.sessionId);
      const path = new URL(share.url).pathname;
      const [a, b] = [await http.get(path), await http.get(path)];
      for (const res of [a, b]) {
        expect(res.status).toBe(200);
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('x-robots-tag')).toContain('noindex');
        expect(res.body).toContain('<meta name="robots" content="noindex, nofollow">');
        expect(res.body).toContain('View transcript');
        // The token is not in the document: the script reads it from the address bar.
        expect(res.body).not.toContain(share.token);
        const csp = res.headers.get('content-security-policy') ?? '';
        const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
        expect(nonce).toBeDefined();
        expect(csp).toContain("default-src 'none'");
        expect(csp).not.toContain('unsafe-inline');
        expect(csp).not.toContain('unsafe-eval');
        const scripts = res.body.match(/<script[^>]*>/g) ?? [];
        expect(scripts).toEqual([`<script nonce="${nonce}">`]);
        expect(res.body.match(/<style[^>]*>/g)).toEqual([`<style nonce="${nonce}">`]);
        // No external assets and no HTML built from data.
        expect(res.body).not.toMatch(/\b(src|href)="(https?:)?\/\//);
        expect(res.body).not.toContain('innerHTML');
      }
      expect(a.headers.get('content-security-policy')).not.toBe(b.headers.get('content-security-policy'));
    });
  });

  describe('cleanup', () => {
    it('removes links revoked, expired or exhausted more than 30 days ago, with their views, and keeps the rest, even when two runs overlap', async () => {
      const insertLink = async (sql: { expires: string; revoked?: string; maxViews?: number; viewCount?: number; viewAt?: string }) => {
        const id = randomUUID();
        await db.pool.query(
          `INSERT INTO share_links (id, session_id, created_by, token_hash, created_at, expires_at, max_views, view_count, revoked_at)
           VALUES ($1, $2, $3, $4, now() - interval '60 days', now() + $5::interval, $6, $7, now() + $8::interval)`,
          [id, session.sessionId, admin.id, randomBytes(32).toString('hex'), sql.expires, sql.maxViews ?? null, sql.viewCount ?? 0, sql.revoked ?? null],
        );
        if (sql.viewAt) await db.pool.query("INSERT INTO share_views (share_id, at, client_hash) VALUES ($1, now() + $2::interval, 'h')", [id, sql.viewAt]);
        return id;
      };
      const gone = [
        await insertLink({ expires: '10 days', revoked: '-31 days' }),
        await insertLink({ expires: '-31 days' }),
        await insertLink({ expires: '10 days', maxViews: 1, viewCount: 1, viewAt: '-31 days' }),
      ];
      const kept = [
        await insertLink({ expires: '10 days', revoked: '-29 days' }),
        await insertLink({ expires: '-29 days' }),
        await insertLink({ expires: '10 days', maxViews: 1, viewCount: 1, viewAt: '-29 days' }),
        await insertLink({ expires: '10 days', maxViews: 2, viewCount: 1, viewAt: '-40 days' }),
        await insertLink({ expires: '10 days' }),
      ];
      const cleanup = instance.app.get(ShareCleanupService);
      const removed = await Promise.all([cleanup.removeFinished(), cleanup.removeFinished(), cleanup.removeFinished()]);
      expect(removed.reduce((a, b) => a + b, 0)).toBe(3);
      const { rows } = await db.pool.query('SELECT id FROM share_links WHERE id = ANY($1::uuid[])', [[...gone, ...kept]]);
      expect(rows.map((r) => r.id).sort()).toEqual([...kept].sort());
      expect((await db.pool.query('SELECT count(*)::int AS n FROM share_views WHERE share_id = ANY($1::uuid[])', [gone])).rows[0].n).toBe(0);
      expect(await cleanup.removeFinished()).toBe(0);
    });
  });
});
