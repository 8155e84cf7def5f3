import { ArbiterClient } from '@arbiter-ai/sdk';
import { waitFor } from '../support/fixtures.js';
import { FakeArbiter } from './fake-arbiter.js';

/** The SDK's reportInventory (the MCP gateway's hook), frame by frame through a stand-in server. */

const inventory = { server: { name: 'fs', version: '1.0' }, tools: [{ name: 'fs.write_file', description: 'Writes' }] };
let fake: FakeArbiter | undefined;
let client: ArbiterClient | undefined;
afterEach(async () => {
  await client?.close();
  await fake?.close();
  client = fake = undefined;
});

it('sends the inventory again after a reconnect until it is answered, then resolves with the answer', async () => {
  fake = await FakeArbiter.start('1.1', () => undefined);
  client = await ArbiterClient.connect({ url: fake.url, apiKey: 'arb_test', sessionId: 'inv', reconnect: { initialDelayMs: 10, maxDelayMs: 20 } });
  const answer = client.reportInventory(inventory, { timeoutMs: 10_000 });
  await waitFor('the inventory', async () => fake!.received.find((f) => f.type === 'inventory'));
  fake.drop();
  await waitFor('the inventory sent again', async () => (fake!.received.filter((f) => f.type === 'inventory').length === 2 ? true : undefined), 5000);
  expect(fake.received.filter((f) => f.type === 'inventory')[1]).toEqual({ type: 'inventory', ...inventory });
  fake.push({ type: 'inventory_ok', always_blocked: ['fs.write_file'] });
  await expect(answer).resolves.toEqual({ always_blocked: ['fs.write_file'] });
});

it('sends nothing to a 1.0 server (it would close the connection on an unknown frame) and resolves null', async () => {
  fake = await FakeArbiter.start(1, () => undefined);
  client = await ArbiterClient.connect({ url: fake.url, apiKey: 'arb_test', sessionId: 'inv-old' });
  await expect(client.reportInventory(inventory)).resolves.toBeNull();
  expect(fake.received.map((f) => f.type)).toEqual(['login']);
});

it('resolves null when the server refuses the inventory', async () => {
  fake = await FakeArbiter.start('1.1', () => undefined);
  client = await ArbiterClient.connect({ url: fake.url, apiKey: 'arb_test', sessionId: 'inv-bad' });
  const answer = client.reportInventory(inventory);
  await waitFor('the inventory', async () => fake!.received.find((f) => f.type === 'inventory'));
  fake.push({ type: 'error', code: 'validation_failed', message: 'inventory: tools must be an array of at most 1000 tools' });
  await expect(answer).resolves.toBeNull();
});
