import { notifyChannel } from '../infra/notify/notify-channel.js';

/**
 * Events a project's webhooks can subscribe to. `audit.entry` (every audit entry about the project, with its link of
 * the hash chain) is queued by a trigger on audit_entries, not by this code: see its migration, audit_entry_webhooks.
 */
export const WEBHOOK_EVENT_TYPES = ['review.created', 'review.expiring', 'review.expired', 'review.withdrawn', 'audit.entry'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Deliveries were queued: wake the dispatchers instead of waiting for their next poll. */
export const webhookDueChannel = notifyChannel<Record<string, never>>('arbiter_webhook_due');
