import { notifyChannel } from '../infra/notify/notify-channel.js';

/**
 * Some of a user's sign-in sessions ended (sign-out, password change, disable): whatever holds one open, such as the
 * live feed, re-checks its own at once instead of at its next periodic check. Sent on commit, from any instance.
 */
export const signInsEndedChannel = notifyChannel<{ user_id: string }>('arbiter_sign_ins_ended');
