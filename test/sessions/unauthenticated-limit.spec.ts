import WebSocket from 'ws';
import { eventually } from '../support/agent-socket.js';
import { type TestApp, startApp } from '../support/app.js';
import { type SessionsWorld, harmless, sessionsWorld } from './support.js';

/** Opens a socket to /ws (from `forwardedFor` as a proxy would say); the socket, or the HTTP status refusing it. */
function connect(app: TestApp, forwardedFor?: string): Promise<WebSocket | number> {
  const socket = new WebSocket(`${app.wsUrl}/ws`, forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {});
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

function accepted(result: WebSocket | number): WebSocket {
  if (typeof result === 'number') throw new Error(`refused with ${result}`);
  return result;
}

describe('sockets not logged in, per client address', () => {
  let w: SessionsWorld;
  let direct: TestApp;
  const open: WebSocket[] = [];

  beforeAll(async () => {
    // Behind a proxy on loopback: the client address is X-Forwarded-For's, as for HTTP requests.
    w = await sessionsWorld('block', 1, { wsMaxUnauthenticatedPerAddress: 3, trustProxy: 'loopback' });
    // No proxy trusted: X-Forwarded-For is the client's own say and is ignored.
    direct = await startApp(w.db.url, { wsMaxUnauthenticatedPerAddress: 3, trustProxy: false });
  });
  afterAll(async () => {
    for (const s of open) s.terminate();
    await direct?.close();
    await w?.close();
  });

  it('refuses the upgrade with 429 past the limit for that address, and counts each address apart', async () => {
    const app = w.apps[0];
    const first = await Promise.all([1, 2, 3].map(() => connect(app, '203.0.113.1').then(accepted)));
    open.push(...first);
    expect(await connect(app, '203.0.113.1')).toBe(429);
    // Another address is not affected.
    open.push(accepted(await connect(app, '203.0.113.2')));

    // Logging in frees a place; so does leaving.
    first[0].send(JSON.stringify({ type: 'login', session_id: 'limit-1', api_key: w.key }));
    await new Promise((resolve) => first[0].once('message', resolve));
    const fourth = accepted(await connect(app, '203.0.113.1'));
    open.push(fourth);
    expect(await connect(app, '203.0.113.1')).toBe(429);
    first[1].close();
    await new Promise((resolve) => first[1].once('close', resolve));
    // The server forgets the socket when the close reaches it.
    let again: WebSocket | number = 0;
    await eventually(async () => typeof (again = await connect(app, '203.0.113.1')) !== 'number', 5000, 'the place of the socket that left freed');
    const afterLeaving = accepted(again);
    open.push(afterLeaving);
  });

  it('counts a burst of upgrades exactly', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => connect(w.apps[0], '198.51.100.9')));
    open.push(...results.filter((r): r is WebSocket => typeof r !== 'number'));
    expect(results.filter((r) => r === 429)).toHaveLength(9);
  });

  it('ignores X-Forwarded-For when no proxy is trusted', async () => {
    const sockets = await Promise.all(['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((a) => connect(direct, a).then(accepted)));
    open.push(...sockets);
    expect(await connect(direct, '192.0.2.4')).toBe(429);
    expect(await connect(direct)).toBe(429);
  });

  it('leaves logged-in agents alone', async () => {
    const socket = accepted(await connect(w.apps[0], '198.51.100.10'));
    open.push(socket);
    const frames: unknown[] = [];
    socket.on('message', (d) => frames.push(JSON.parse(d.toString())));
    socket.send(JSON.stringify({ type: 'login', session_id: 'limit-ok', api_key: w.key }));
    socket.send(JSON.stringify({ type: 'event', event_id: 'e1', ...harmless }));
    await new Promise<void>((resolve) => socket.on('message', () => frames.length === 2 && resolve()));
    expect(frames[1]).toMatchObject({ type: 'verdict', event_id: 'e1', decision: 'allow' });
  });
});
