import { notifyChannel } from '../infra/notify/notify-channel.js';

/**
 * Published inside every transaction that changes what a project's CompiledPolicy holds (its rules, default action,
 * mode or review timeouts), so it fires on commit: every instance drops that project from its PolicyCache.
 */
export const policyChangedChannel = notifyChannel<{ project_id: string }>('arbiter_policy_changed');
