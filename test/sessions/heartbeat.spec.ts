import WebSocket from 'ws';
import { type SessionsWorld, sessionsWorld } from './support.js';

/** Pings find peers that are gone without a close (a dead host, a cut cable); live peers are never dropped. */
describe('agent socket heartbeat', () => {
  let world: SessionsWorld;

  beforeAll(async () => {
    world = await sessionsWorld('block', 1, { wsPingIntervalMs: 200 });
  });
  afterAll(() => world?.close());

  async function loggedIn(sessionId: string, autoPong: boolean): Promise<{ socket: WebSocket; closed: Promise<number>; pings: () => number }> {
    const socket = new WebSocket(`${world.apps[0].wsUrl}/ws`, { headers: { authorization: `Bearer ${world.key}` }, autoPong });
    let pings = 0;
    socket.on('ping', () => pings++);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('open', () => socket.send(JSON.stringify({ type: 'login', session_id: sessionId })));
      socket.once('message', (data) => (String(data).includes('login_ok') ? resolve() : reject(new Error(String(data)))));
    });
    return { socket, closed, pings: () => pings };
  }

  it('drops a peer that stops answering pings, and keeps one that answers', async () => {
    const live = await loggedIn('heartbeat-live', true);
    const silent = await loggedIn('heartbeat-silent', false);
    // First ping within one interval, two unanswered ones more, then the cut: well under 2 s at 200 ms.
    const code = await Promise.race([silent.closed, new Promise<string>((r) => setTimeout(() => r('still open'), 3000))]);
    expect(code).toBe(1006); // terminated, no closing handshake
    expect(silent.pings()).toBeGreaterThanOrEqual(2);

    // The live peer, pinged on its own phase, answers and stays: still open after five intervals and three pings more.
    const seen = live.pings();
    const deadline = Date.now() + 3000;
    while (live.pings() < seen + 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(live.pings()).toBeGreaterThanOrEqual(seen + 3);
    expect(live.socket.readyState).toBe(WebSocket.OPEN);
    live.socket.close();
  });
});
