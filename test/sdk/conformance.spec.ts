import { randomUUID } from 'node:crypto';
import { ArbiterClient, ArbiterConnectError, type Verdict } from '@arbiter-ai/sdk';
import { freePort } from '../../src/infra/database/embedded-postgres.js';
import { type TestDatabase, createTestDatabase } from '../support/database.js';
import { ArbiterProcess, killAll, withServerLogs } from '../topology/arbiter-process.js';
import { type ExpectedVerdict, ReviewerApi, type Scenario, type ScenarioProject, type Step, loadScenarios, waitUntil } from './conformance-harness.js';

/**
 * The SDK conformance scenarios (sdk/conformance/scenarios.json) run with the TypeScript SDK against one real
 * `node dist/src/main.js`; the Python SDK runs the same file (sdk/python/tests/test_conformance.py, through
 * test/sdk/python.spec.ts). A scenario one SDK fails is a failure of that SDK.
 */

const scenarios = loadScenarios();
let db: TestDatabase;
let server: ArbiterProcess;
const api = new ReviewerApi(() => server.url);

beforeAll(async () => {
  db = await createTestDatabase();
  server = await ArbiterProcess.start({ name: 'conformance-ts', databaseUrl: db.url });
  await api.signIn();
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await killAll();
  await db?.drop();
}, 60_000);

interface Call {
  client: string;
  eventId: string;
  verdict: Promise<Verdict>;
  settled: boolean;
  reviewId?: string;
  pendings: number;
}

interface Run {
  project: ScenarioProject;
  clients: Map<string, ArbiterClient>;
  sessions: Map<string, string | undefined>;
  calls: Map<string, Call>;
}

async function connect(run: Run, step: Step): Promise<void> {
  const name = step.client!;
  const client = await ArbiterClient.connect({
    url: server.url,
    apiKey: run.project.keys[step.key ?? 'main'].key,
    sessionId: step.session ?? `conformance-${name}`,
    onPending: (eventId) => {
      for (const call of run.calls.values()) if (call.client === name && call.eventId === eventId) call.pendings++;
    },
  });
  run.clients.set(name, client);
  run.sessions.set(name, client.session);
}

async function connectFails(run: Run, step: Step): Promise<void> {
  const url = { server: server.url, wrong_path: `${server.url}/agents`, closed_port: `ws://127.0.0.1:${await freePort()}`, tls_to_plain: server.url.replace('http://', 'wss://') }[step.url ?? 'server'];
  let error: unknown;
  try {
    const client = await ArbiterClient.connect({ url, apiKey: run.project.keys[step.key ?? 'main'].key, sessionId: step.session ?? 'conformance-fails' });
    await client.close();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ArbiterConnectError);
  const err = error as ArbiterConnectError;
  expect(err.code).toBe(step.expect!.code);
  if (step.expect!.status !== undefined) expect(err.status).toBe(step.expect!.status);
  if (step.expect!.message_contains !== undefined) expect(err.message).toContain(step.expect!.message_contains);
}

async function runStep(run: Run, step: Step): Promise<void> {
  switch (step.do) {
    case 'connect':
      return connect(run, step);
    case 'connect_fails':
      return connectFails(run, step);
    case 'decide': {
      const client = run.clients.get(step.client!)!;
      const eventId = step.event_id ?? randomUUID();
      const verdict = client.decide(
        { event_id: eventId, kind: step.kind ?? 'tool', tool: step.tool, input: step.input },
        { timeoutMs: (step.timeout_s ?? 30) * 1000, failOpen: step.fail_open ?? false },
      );
      const call: Call = { client: step.client!, eventId, verdict, settled: false, pendings: 0 };
      void verdict.then(() => (call.settled = true));
      run.calls.set(step.as!, call);
      return;
    }
    case 'wait_pending': {
      const call = run.calls.get(step.decision!)!;
      const session = run.sessions.get(call.client)!;
      const review = await waitUntil(`the review of ${step.decision}`, () => api.pendingReview(run.project.id, session, call.eventId));
      call.reviewId = review.id;
      return;
    }
    case 'review': {
      const call = run.calls.get(step.decision!)!;
      const res = await api.decideReview(call.reviewId!, step.verdict!, step.note, step.input);
      expect({ status: res.status, body: res.body }).toMatchObject({ status: step.expect_status ?? 200 });
      if (step.expect_code !== undefined) expect(res.body.error.code).toBe(step.expect_code);
      return;
    }
    case 'await':
      await run.calls.get(step.decision!)!.verdict;
      return;
    case 'wait_review_status': {
      const call = run.calls.get(step.decision!)!;
      await waitUntil(`review status ${step.status}`, async () => ((await api.review(call.reviewId!)).status === step.status ? true : undefined));
      return;
    }
    case 'expect_waiting': {
      const call = run.calls.get(step.decision!)!;
      // A wrong delivery would have come with the one awaited before this step.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(call.settled).toBe(false);
      return;
    }
    case 'restart_server':
      await server.stop('SIGTERM');
      server = await server.restart();
      return;
    case 'wait_connected': {
      const client = run.clients.get(step.client!)!;
      await waitUntil('the client to reconnect', async () => (client.connected ? true : undefined), 30_000);
      return;
    }
    case 'revoke_key':
      return api.revokeKey(run.project.keys[step.key!].id);
    default:
      throw new Error(`unknown step ${step.do}`);
  }
}

function checkVerdict(call: Call, verdict: Verdict, want: ExpectedVerdict): void {
  const expected: Record<string, unknown> = { decision: want.decision, source: want.source, event_id: call.eventId };
  if (want.reason !== undefined) expected.reason = want.reason;
  if (want.reason_contains !== undefined) expected.reason = expect.stringContaining(want.reason_contains);
  if (want.review !== undefined) expected.review_id = want.review ? call.reviewId : null;
  if (want.edited !== undefined) expected.edited = want.edited;
  if (want.input !== undefined) expected.input = want.input;
  if (want.input_sha256 !== undefined) expected.input_sha256 = want.input_sha256;
  expect(verdict).toMatchObject(expected);
}

async function runScenario(scenario: Scenario): Promise<void> {
  const project = await api.projectFor(scenario.setup, `ts-${randomUUID().slice(0, 8)}`);
  const run: Run = { project, clients: new Map(), sessions: new Map(), calls: new Map() };
  try {
    for (const step of scenario.steps) await runStep(run, step);
    const expected = scenario.expected;
    for (const [alias, want] of Object.entries(expected.verdicts ?? {})) {
      const call = run.calls.get(alias)!;
      checkVerdict(call, await call.verdict, want);
    }
    for (const [alias, status] of Object.entries(expected.reviews ?? {})) {
      expect({ alias, status: (await api.review(run.calls.get(alias)!.reviewId!)).status }).toEqual({ alias, status });
    }
    for (const [alias, count] of Object.entries(expected.pending_calls ?? {})) expect({ alias, pendings: run.calls.get(alias)!.pendings }).toEqual({ alias, pendings: count });
    for (const name of expected.same_session ?? []) expect(run.clients.get(name)!.session).toBe(run.sessions.get(name));
    if (expected.distinct_sessions) {
      const sessions = expected.distinct_sessions.map((name) => run.sessions.get(name));
      expect(new Set(sessions).size).toBe(sessions.length);
    }
  } finally {
    await Promise.all([...run.clients.values()].map((client) => client.close()));
  }
}

describe('SDK conformance: the TypeScript SDK', () => {
  it.each(scenarios.map((s) => [s.name, s] as const))('%s', (_name, scenario) => withServerLogs(() => [server], () => runScenario(scenario)), 180_000);
});
