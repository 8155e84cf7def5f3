import http from 'node:http';
import { type SignedIn, type SignedInApp, createProject, createUser, signedInApp } from '../support/fixtures.js';

const BULK = 50_000;

interface Download {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * GETs a URL. When the first two lines (the CSV header and the first entry) have arrived, the response is paused and
 * `onFirstEntry` runs; reading resumes when it is done.
 */
function download(url: string, token: string, onFirstEntry: () => Promise<void> = async () => undefined): Promise<Download> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      let lineEnds = 0;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (lineEnds >= 2) return;
        for (const byte of chunk) if (byte === 0x0a) lineEnds++;
        if (lineEnds < 2) return;
        res.pause();
        onFirstEntry().then(() => res.resume(), reject);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/**
 * Splits RFC 4180 CSV into rows of cells: quoted cells may hold commas and doubled quotes (the export's cells never
 * hold line breaks, so a line is a row). Native regular expressions, since the export is some 27 MB.
 */
function parseCsv(text: string): string[][] {
  if (!text.endsWith('\r\n')) throw new Error('the CSV does not end with a line break');
  return text
    .slice(0, -2)
    .split('\r\n')
    .map((raw) => {
      // Each cell is read with the comma before it, so every match moves on.
      const line = `,${raw}`;
      const cells: string[] = [];
      const cell = /,(?:"((?:[^"]|"")*)"|([^,"]*))/y;
      let match: RegExpExecArray | null;
      while (cell.lastIndex < line.length && (match = cell.exec(line))) cells.push(match[1] !== undefined ? match[1].replace(/""/g, '"') : match[2]);
      if (cell.lastIndex !== line.length) throw new Error(`not CSV: ${raw.slice(0, 80)}`);
      return cells;
    });
}

describe('audit export', () => {
  let world: SignedInApp;
  let { db, instance, http: api, admin } = {} as SignedInApp;
  let reviewer: SignedIn;
  let projectId: string;

  beforeAll(async () => {
    world = await signedInApp();
    ({ db, instance, http: api, admin } = world);
    reviewer = await createUser(api, admin.token, 'reviewer');
    projectId = (await createProject(api, admin.token)).id;
    // 50,000 entries in one statement, a millisecond apart, each with about 500 bytes of details: some 27 MB of CSV, far
    // more than the sockets' buffers hold, so the server cannot have sent it all before the client reads.
    await db.pool.query(
      `INSERT INTO audit_entries (actor_type, actor_id, action, target_type, target_id, details, at)
       SELECT 'user', $1, 'bulk.write', 'thing', 'thing-' || n,
              jsonb_build_object('project_id', $2::text, 'n', n, 'padding', repeat('x', 400)),
              now() - interval '1 hour' - make_interval(secs => n / 1000.0)
         FROM generate_series(1, ${BULK}) AS n`,
      [admin.id, projectId],
    );
  });

  afterAll(() => world?.close());

  it('streams every matching entry as CSV: the first entries arrive before the last rows are read', async () => {
    let lateInsertedAt = 0;
    const res = await download(`${instance.url}/api/audit/export?format=csv&action=bulk.*`, admin.token, async () => {
      // Written after the download began, and older than every other entry, so it is in the last batch read. A
      // server that read the whole result before sending would not have it.
      await db.pool.query(
        `INSERT INTO audit_entries (actor_type, actor_id, action, details, at) VALUES ('user', $1, 'bulk.late', '{"note":"=cmd|calc, \\"quoted\\""}', '2001-01-01T00:00:00Z')`,
        [admin.id],
      );
      lateInsertedAt = Date.now();
    });
    expect(lateInsertedAt).toBeGreaterThan(0);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="arbiter-audit-[0-9TZ-]+\.csv"$/);

    const rows = parseCsv(res.text);
    expect(rows[0]).toEqual(['id', 'at', 'actor_type', 'actor_id', 'action', 'target_type', 'target_id', 'request_id', 'details']);
    const entries = rows.slice(1);
    expect(entries.length).toBe(BULK + 1);
    expect(new Set(entries.map((r) => r[0])).size).toBe(BULK + 1);
    expect(entries.every((r) => r.length === 9)).toBe(true);
    // Newest first, the late (oldest) entry last; its details are one quoted cell, commas and quotes intact.
    const ats = entries.map((r) => Date.parse(r[1]));
    expect(ats.every((at, i) => i === 0 || at <= ats[i - 1])).toBe(true);
    const last = entries[entries.length - 1];
    expect(last[4]).toBe('bulk.late');
    expect(JSON.parse(last[8])).toEqual({ note: '=cmd|calc, "quoted"' });
    expect(JSON.parse(entries[0][8])).toMatchObject({ project_id: projectId, n: 1 });
  });

  it('defuses formula cells and quotes what needs it', async () => {
    await db.pool.query(`INSERT INTO audit_entries (actor_type, actor_id, action, target_type, target_id, details) VALUES ('user', '=HYPERLINK("http://x")', 'formula.probe', '+sum', '@a,b', '{}')`);
    const res = await download(`${instance.url}/api/audit/export?format=csv&action=formula.probe`, admin.token);
    expect(res.text.split('\r\n')[1]).toMatch(/^\d+,[^,]+,user,"'=HYPERLINK\(""http:\/\/x""\)",formula\.probe,'\+sum,"'@a,b",,\{\}$/);
  });

  it('exports JSON lines with the list’s filters (project, actor, time range)', async () => {
    // Bulk entry n is n ms older than entry 0: [at of n=11000, at of n=10000) holds n = 10001…11000.
    const bounds = await db.pool.query<{ target_id: string; at: Date }>(`SELECT target_id, at FROM audit_entries WHERE target_id IN ('thing-10000', 'thing-11000')`);
    const atOf = (n: number) => bounds.rows.find((r) => r.target_id === `thing-${n}`)!.at.toISOString();
    const [since, until] = [atOf(11000), atOf(10000)];
    const query = `format=jsonl&project=${projectId}&actor=${admin.id}&since=${since}&until=${until}`;
    const res = await download(`${instance.url}/api/audit/export?${query}`, admin.token);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/\.jsonl"$/);
    const lines = res.text.split('\n');
    expect(lines.pop()).toBe('');
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries.map((e) => e.target_id)).toEqual(Array.from({ length: 1000 }, (_, i) => `thing-${10001 + i}`));
    for (const e of entries) {
      expect(e).toMatchObject({ actor_id: admin.id, action: 'bulk.write', details: { project_id: projectId } });
      expect(Date.parse(e.at)).toBeGreaterThanOrEqual(Date.parse(since));
      expect(Date.parse(e.at)).toBeLessThan(Date.parse(until));
    }

    // The list applies the same filters and agrees.
    const page = await api.get(`/api/audit?project=${projectId}&actor=${admin.id}&since=${since}&until=${until}&limit=200`, { token: admin.token });
    expect(page.status).toBe(200);
    expect(page.body.items.map((e: { id: string }) => e.id)).toEqual(entries.slice(0, 200).map((e) => e.id));
  });

  it('finds entries about a project by its own target as well as by the project named in details', async () => {
    const res = await api.get(`/api/audit?project=${projectId}&action=project.*`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([expect.objectContaining({ action: 'project.create', target_type: 'project', target_id: projectId })]);
  });

  it('refuses anyone but an admin, and bad filters, in the API’s error shape', async () => {
    const refused = await api.get('/api/audit/export?format=csv', { token: reviewer.token });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect((await api.get('/api/audit/export?format=csv')).status).toBe(401);
    const badFormat = await api.get('/api/audit/export?format=xlsx', { token: admin.token });
    expect(badFormat.status).toBe(400);
    expect(badFormat.body.error.code).toBe('validation_failed');
    expect((await api.get('/api/audit/export?format=csv&project=not-a-uuid', { token: admin.token })).status).toBe(400);
    expect((await api.get('/api/audit/export?format=csv&until=yesterday', { token: admin.token })).status).toBe(400);
  });
});
