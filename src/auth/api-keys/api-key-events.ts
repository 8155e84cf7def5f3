import { notifyChannel } from '../../infra/notify/notify-channel.js';

/** Published in the revoking transaction: every instance closes its own sockets that use the key (code 4401). */
export const apiKeyRevokedChannel = notifyChannel<{ api_key_id: string }>('arbiter_api_key_revoked');
