/**
 * The floor for figure 1: a bare `ws` server that does one autocommitted INSERT per event frame on the same database
 * and replies, with a pool the size of Arbiter's default. Run as its own process by bench/run.ts
 * (env DATABASE_URL, PORT, POOL_SIZE); prints "listening <port>" when ready.
 */
import pg from 'pg';
import { WebSocketServer } from 'ws';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10) });
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0), path: '/ws', perMessageDeflate: false });

wss.on('connection', (socket) => {
  socket.on('error', () => undefined);
  socket.on('message', (data) => {
    const text = data.toString();
    const frame = JSON.parse(text) as { type: string; event_id?: string };
    if (frame.type === 'login') {
      socket.send(JSON.stringify({ type: 'login_ok', session: 'floor' }));
      return;
    }
    if (frame.type !== 'event') return;
    pool.query('INSERT INTO bench_floor_events (event_id, payload) VALUES ($1, $2::jsonb)', [frame.event_id, text]).then(
      () => socket.send(JSON.stringify({ type: 'verdict', event_id: frame.event_id, decision: 'allow' })),
      (err: Error) => socket.send(JSON.stringify({ type: 'error', message: err.message, event_id: frame.event_id })),
    );
  });
});
wss.on('listening', () => {
  const address = wss.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : address}\n`);
});
process.on('SIGTERM', () => {
  wss.close();
  void pool.end().then(() => process.exit(0));
});
