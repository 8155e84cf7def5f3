import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type Schemas, api, unwrap } from '../api/client';

export type Webhook = Schemas['WebhookView'];
export type CreatedWebhook = Schemas['CreatedWebhookView'];
export type Delivery = Schemas['WebhookDeliveryView'];
export type NewWebhook = Schemas['CreateWebhookDto'];

/** Event types a webhook can subscribe to, as the API documents them. */
export const WEBHOOK_EVENTS: NewWebhook['events'] = ['review.created', 'review.expiring', 'review.expired', 'review.withdrawn', 'audit.entry'];

/** What a new webhook is subscribed to unless changed: the reviews' lifecycle, the events most receivers want. */
export const DEFAULT_WEBHOOK_EVENTS: NewWebhook['events'] = ['review.created', 'review.expiring', 'review.expired'];

const hooksKey = (projectId: string) => ['webhooks', projectId] as const;
const deliveriesKey = (projectId: string, webhookId: string) => ['webhooks', projectId, 'deliveries', webhookId] as const;

export function useWebhooks(projectId: string) {
  return useQuery({
    queryKey: hooksKey(projectId),
    queryFn: async () => {
      const all: Webhook[] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(api.GET('/api/projects/{projectId}/webhooks', { params: { path: { projectId }, query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
        all.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return all;
    },
  });
}

export function useCreateWebhook(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: NewWebhook) => unwrap(api.POST('/api/projects/{projectId}/webhooks', { params: { path: { projectId } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: hooksKey(projectId) }),
  });
}

export function useDeleteWebhook(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/projects/{projectId}/webhooks/{id}', { params: { path: { projectId, id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: hooksKey(projectId) }),
  });
}

/**
 * The newest 50 deliveries of a webhook. While one is pending or retrying the log is read again every few seconds:
 * deliveries happen on whichever instance claims them, and the event feed does not carry them.
 */
export function useDeliveries(projectId: string, webhookId: string) {
  return useQuery({
    queryKey: deliveriesKey(projectId, webhookId),
    queryFn: () => unwrap(api.GET('/api/projects/{projectId}/webhooks/{id}/deliveries', { params: { path: { projectId, id: webhookId }, query: { limit: 50 } } })),
    refetchInterval: (query) => (query.state.data?.items.some((d) => d.status === 'pending' || d.status === 'retrying') ? 2000 : false),
  });
}

export function useSendTest(projectId: string, webhookId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/projects/{projectId}/webhooks/{id}/test', { params: { path: { projectId, id: webhookId } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: deliveriesKey(projectId, webhookId) }),
  });
}
