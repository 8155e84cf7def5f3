import { notifyChannel } from '../infra/notify/notify-channel.js';
import type { VerdictFrame } from './protocol.js';

/**
 * A verdict row was committed for the session: the instance holding its socket sends it (`verdict`, when the
 * notification carries it) or every unacked verdict of the session (when it does not).
 */
export const sessionOutboxChannel = notifyChannel<{ session_id: string; verdict?: VerdictFrame }>('arbiter_session_outbox');

/** A login took the session over with its resume token: whoever holds an older epoch closes with 4001. */
export const sessionClaimedChannel = notifyChannel<{ session_id: string; epoch: number }>('arbiter_session_claimed');
