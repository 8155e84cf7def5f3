import { SseClient } from '../reviews/support.js';
import { type SignedInPair, createUser, signIn, signedInPair, waitFor } from '../support/fixtures.js';

/**
 * An open feed ends as soon as its sign-in does, whichever instance ended it: well before the feed's own periodic
 * check (60 s), which these waits of 2 s cannot reach.
 */
describe('the live feed after its sign-in ends', () => {
  let world: SignedInPair;
  let { one, http1, http2, admin } = {} as SignedInPair;
  const feeds: SseClient[] = [];

  beforeAll(async () => {
    world = await signedInPair();
    ({ one, http1, http2, admin } = world);
  });

  afterAll(async () => {
    for (const feed of feeds) feed.close();
    await world?.close();
  });

  async function openFeed(token: string): Promise<SseClient> {
    const feed = await SseClient.open(one.url, token);
    feeds.push(feed);
    expect(feed.status).toBe(200);
    // Open and past its first checks: it stays open while nothing ends.
    await new Promise((resolve) => setImmediate(resolve));
    expect(feed.ended).toBe(false);
    return feed;
  }

  const ends = (feed: SseClient) => waitFor('the feed to end', async () => (feed.ended ? true : undefined), 2000);

  it('ends when the session signs out on another instance', async () => {
    const user = await createUser(http1, admin.token, 'viewer');
    const feed = await openFeed(user.token);
    const otherToken = await signIn(http1, user.email, user.password);
    const other = await openFeed(otherToken);
    expect((await http2.post('/api/auth/logout', undefined, { token: user.token })).status).toBe(204);
    await ends(feed);
    // The same person's other sign-in keeps its feed.
    expect((await http2.get('/api/auth/me', { token: otherToken })).status).toBe(200);
    expect(other.ended).toBe(false);
  });

  it('ends when an admin disables the user on another instance', async () => {
    const user = await createUser(http1, admin.token, 'reviewer');
    const feed = await openFeed(user.token);
    expect((await http2.patch(`/api/users/${user.id}`, { disabled: true }, { token: admin.token })).status).toBe(200);
    await ends(feed);
  });

  it('ends when a password change on another session ends this one', async () => {
    const user = await createUser(http1, admin.token, 'reviewer');
    const feed = await openFeed(user.token);
    const changer = await signIn(http2, user.email, user.password);
    const changerFeed = await openFeed(changer);
    const changed = await http2.post('/api/auth/change-password', { current_password: user.password, new_password: `${user.password}-new` }, { token: changer });
    expect(changed.status).toBe(204);
    await ends(feed);
    // The session that changed the password is kept, and so is its feed.
    expect((await http1.get('/api/auth/me', { token: changer })).status).toBe(200);
    expect(changerFeed.ended).toBe(false);
  });
});
