import { notifyChannel } from '../../src/infra/notify/notify-channel.js';
import { PgNotifyService } from '../../src/infra/notify/pg-notify.service.js';
import { type Cluster, type TestApp, startCluster } from '../support/app.js';
import type { TestDatabase } from '../support/database.js';

const pingChannel = notifyChannel<{ n: number }>('arbiter_test_ping');

function nextMessage<T>(service: PgNotifyService, channel = pingChannel, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no notification in time')), timeoutMs);
    const off = service.subscribe(channel, (payload) => {
      clearTimeout(timer);
      off();
      resolve(payload as T);
    });
  });
}

describe('PgNotifyService', () => {
  let cluster: Cluster;
  let db: TestDatabase;
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    cluster = await startCluster(2);
    ({ db } = cluster);
    [one, two] = cluster.apps;
  });
  afterAll(() => cluster?.close());

  it('delivers a notification published on one instance to another', async () => {
    const receiver = two.app.get(PgNotifyService);
    const received = nextMessage<{ n: number }>(receiver);
    let settled = false;
    received.then(
      () => (settled = true),
      () => (settled = true),
    );
    // The LISTEN for a new channel is sent asynchronously, and a notification sent before it reached the server is
    // lost by design: publish until one arrives (a fixed 100 ms wait was once too short on a loaded CI runner).
    for (let n = 0; n < 40 && !settled; n++) {
      await one.app.get(PgNotifyService).publish(pingChannel, { n: 1 });
      await new Promise((r) => setTimeout(r, 100));
    }
    await expect(received).resolves.toEqual({ n: 1 });
  });

  it('re-listens after its connection is killed and tells reconnect subscribers', async () => {
    const receiver = two.app.get(PgNotifyService);
    const keep = receiver.subscribe(pingChannel, () => undefined);
    const reconnected = new Promise<void>((resolve) => {
      const off = receiver.onReconnect(() => {
        off();
        resolve();
      });
    });
    await db.pool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    );
    await reconnected;
    expect(receiver.listening).toBe(true);
    const received = nextMessage<{ n: number }>(receiver);
    await one.app.get(PgNotifyService).publish(pingChannel, { n: 2 });
    await expect(received).resolves.toEqual({ n: 2 });
    keep();
  });
});
