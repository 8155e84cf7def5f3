import { notifyChannel } from '../infra/notify/notify-channel.js';

/** A verdict row was committed for the session: the instance holding its socket sends every unacked verdict. */
export const sessionOutboxChannel = notifyChannel<{ session_id: string }>('arbiter_session_outbox');

/** A login took the session over with its resume token: whoever holds an older epoch closes with 4001. */
export const sessionClaimedChannel = notifyChannel<{ session_id: string; epoch: number }>('arbiter_session_claimed');
