import { ArbiterClient } from '@arbiter-ai/sdk';
import { type SignedInApp, createApiKey, createProject, signedInApp, waitFor } from '../../support/fixtures.js';

/**
 * The policy every integration spec runs against: `lookup` is allowed, `shell` blocked, `write_file` waits for a
 * reviewer (who may edit its input: the project allows edits); anything else is blocked.
 */
export const RULES = {
  default_action: 'block',
  rules: [
    { kind: 'tool', tool: 'lookup', action: 'allow', reason: 'read-only' },
    { kind: 'tool', tool: 'shell', action: 'block', reason: 'no shell here' },
    { kind: 'tool', tool: 'write_file', action: 'review', reason: 'writes need a person' },
  ],
};

export interface IntegrationWorld extends SignedInApp {
  projectId: string;
  apiKey: string;
  /** A client on its own session; closed by `close()`. */
  connect(sessionId: string): Promise<ArbiterClient>;
  /** Waits for the next pending review of the project; resolves its id. */
  nextPendingReview(): Promise<string>;
  /** Waits until the review is withdrawn (the agent gave up on it). */
  reviewWithdrawn(id: string): Promise<void>;
  /** Waits for the next pending review of the project and decides it through the REST API, as a reviewer would. */
  decideNextReview(body: { decision: 'approve' | 'deny'; input?: unknown; note?: string }): Promise<{ id: string; tool: string }>;
}

export async function integrationWorld(): Promise<IntegrationWorld> {
  const app = await signedInApp();
  const { http, admin } = app;
  const project = await createProject(http, admin.token, { mode: 'hitl', review_timeout_seconds: 120 });
  const edits = await http.patch(`/api/projects/${project.id}`, { allow_edits: true }, { token: admin.token });
  if (edits.status !== 200) throw new Error(`allow_edits: ${edits.status} ${JSON.stringify(edits.body)}`);
  const rules = await http.put(`/api/projects/${project.id}/rules`, RULES, { token: admin.token });
  if (rules.status !== 200) throw new Error(`put rules: ${rules.status} ${JSON.stringify(rules.body)}`);
  const key = await createApiKey(http, admin.token, project.id);
  const clients: ArbiterClient[] = [];
  /** Reviews already handed to a test: the list may still show one just decided. */
  const taken = new Set<string>();
  const nextPending = async (): Promise<{ id: string; tool: string }> => {
    const review = await waitFor(
      'a pending review',
      async () => {
        const res = await http.get(`/api/reviews?status=pending&project=${project.id}`, { token: admin.token });
        return (res.body.items as { id: string; tool: string }[]).find((r) => !taken.has(r.id));
      },
      10_000,
    );
    taken.add(review.id);
    return review;
  };
  const nextPendingReview = async () => (await nextPending()).id;
  return {
    ...app,
    projectId: project.id,
    apiKey: key.key,
    async connect(sessionId) {
      const client = await ArbiterClient.connect({ url: app.instance.url, apiKey: key.key, sessionId });
      clients.push(client);
      return client;
    },
    nextPendingReview,
    async reviewWithdrawn(id) {
      await waitFor(
        `review ${id} withdrawn`,
        async () => ((await http.get(`/api/reviews/${id}`, { token: admin.token })).body.status === 'withdrawn' ? true : undefined),
        10_000,
      );
    },
    async decideNextReview(body) {
      const review = await nextPending();
      const res = await http.post(`/api/reviews/${review.id}/decision`, body, { token: admin.token });
      if (res.status !== 200) throw new Error(`decide review: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: review.id, tool: review.tool };
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await app.close();
    },
  };
}
