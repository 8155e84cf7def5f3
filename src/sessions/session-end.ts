import { notifyChannel } from '../infra/notify/notify-channel.js';
import { CloseCode } from './protocol.js';

/**
 * The close code of a socket whose session a person ended (`POST /api/sessions/:id/end`). Reconnecting cannot help:
 * the session is not claimed again, with or without its resume token. See PROTOCOL.md, Close codes.
 */
export const SESSION_ENDED_CLOSE_CODE = CloseCode.sessionEnded;

/** A session was ended: whichever instance holds its socket closes it with SESSION_ENDED_CLOSE_CODE. */
export const sessionEndedChannel = notifyChannel<{ session_id: string; ended_by: string }>('arbiter_session_ended');
