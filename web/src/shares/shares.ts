import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type Schemas, api, unwrap } from '../api/client';

export type ShareLink = Schemas['ShareLinkView'];
export type CreatedShare = Schemas['CreatedShareView'];
export type ShareView = Schemas['ShareViewLogItem'];

const listKey = (sessionId: string) => ['shares', 'session', sessionId] as const;
const viewsKey = (id: string) => ['shares', 'views', id] as const;

/** A session's share links, newest first (state and counts; the token is never shown again). */
export function useSessionShares(sessionId: string) {
  return useQuery({
    queryKey: listKey(sessionId),
    queryFn: async () => (await unwrap(api.GET('/api/sessions/{id}/shares', { params: { path: { id: sessionId }, query: { limit: 200 } } }))).items,
    // Views happen on the public page, which puts nothing on the feed: counts are read again while the panel is open.
    refetchInterval: 5000,
  });
}

export function useCreateShare(sessionId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { expires_in_seconds: number; max_views: number | null }) =>
      unwrap(api.POST('/api/sessions/{id}/shares', { params: { path: { id: sessionId } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: listKey(sessionId) }),
  });
}

export function useRevokeShare(sessionId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/shares/{id}', { params: { path: { id } } })),
    onSuccess: (_, id) => {
      void client.invalidateQueries({ queryKey: listKey(sessionId) });
      void client.invalidateQueries({ queryKey: viewsKey(id) });
    },
  });
}

/** Who opened the transcript, newest first (the link's creator or an admin). */
export function useShareViews(id: string | null) {
  return useQuery({
    queryKey: viewsKey(id ?? ''),
    enabled: !!id,
    queryFn: async () => (await unwrap(api.GET('/api/shares/{id}/views', { params: { path: { id: id! }, query: { limit: 200 } } }))).items,
    refetchInterval: 5000,
  });
}
