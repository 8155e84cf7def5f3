import { createHash } from 'node:crypto';
import { type NotifyChannel, notifyChannel } from '../infra/notify/notify-channel.js';
import type { VerdictFrame } from './protocol.js';

export type SessionOutboxPayload = { session_id: string; verdict?: VerdictFrame };

/**
 * A verdict row was committed for a session the instance holds: it sends it (`verdict`, when the notification carries
 * it) or every unacked verdict of the session (when it does not). One channel per instance, named after its
 * `instance_id`, so a verdict wakes the instance holding the session and no other. The sender finds the holder in the
 * session row, key-share locked in the statement that commits the verdict: a takeover (which locks the row FOR
 * UPDATE) either commits first, and the notification goes to the new holder, or waits, and the new holder's
 * post-claim flush finds the verdict.
 */
export function sessionOutboxChannelOf(instanceId: string): NotifyChannel<SessionOutboxPayload> {
  return notifyChannel(`arbiter_outbox_${createHash('md5').update(instanceId).digest('hex').slice(0, 16)}`);
}

/** `sessionOutboxChannelOf` in SQL, over a column holding an instance id (test/sessions/outbox-channel.spec.ts). */
export function sessionOutboxChannelSql(instanceIdColumn: string): string {
  return `'arbiter_outbox_' || left(md5(${instanceIdColumn}), 16)`;
}

/** A login took the session over with its resume token: whoever holds an older epoch closes with 4001. */
export const sessionClaimedChannel = notifyChannel<{ session_id: string; epoch: number }>('arbiter_session_claimed');
