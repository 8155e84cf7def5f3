/**
 * A load-generator process for figure 4 (forked by bench/run.ts): logs in `count` agent sessions and keeps them
 * connected, idle, until told to close. Messages in: {type:'login', url, apiKey, prefix, count, parallel, seconds,
 * localAddresses} (no new login starts after `seconds`; connections take their source address from `localAddresses` in turn);
 * {type:'close'}. Out: {type:'logged_in', ok, failed, firstError, ms}; {type:'closed'}.
 */
import WebSocket from 'ws';
import { nowMs } from './lib/stats.js';

const sockets: WebSocket[] = [];

function loginOne(url: string, apiKey: string, sessionId: string, localAddress: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url}/ws`, { headers: { authorization: `Bearer ${apiKey}` }, perMessageDeflate: false, localAddress });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('no login_ok within 60 s'));
    }, 60_000);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('open', () => socket.send(JSON.stringify({ type: 'login', session_id: sessionId })));
    socket.once('message', (data) => {
      clearTimeout(timer);
      const text = data.toString();
      if (!text.includes('"login_ok"')) return reject(new Error(`refused: ${text}`));
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      sockets.push(socket);
      resolve();
    });
  });
}

process.on('message', async (msg: { type: string; url: string; apiKey: string; prefix: string; count: number; parallel: number; seconds: number; localAddresses: string[] }) => {
  if (msg.type === 'login') {
    const start = nowMs();
    const deadline = start + msg.seconds * 1000;
    let next = 0;
    let ok = 0;
    let failed = 0;
    let firstError: string | undefined;
    await Promise.all(
      Array.from({ length: msg.parallel }, async () => {
        while (next < msg.count && nowMs() < deadline) {
          const i = next++;
          try {
            await loginOne(msg.url, msg.apiKey, `${msg.prefix}-${i}`, msg.localAddresses[i % msg.localAddresses.length]);
            ok++;
          } catch (err) {
            failed++;
            firstError ??= (err as Error).message;
          }
        }
      }),
    );
    process.send?.({ type: 'logged_in', ok, failed, firstError, ms: nowMs() - start });
  } else if (msg.type === 'close') {
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      s.close(1000);
      setTimeout(() => { s.terminate(); resolve(); }, 3000).unref();
    })));
    process.send?.({ type: 'closed' });
    setTimeout(() => process.exit(0), 50);
  }
});
