import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type Schemas, api, unwrap } from '../api/client';

export type ApiKey = Schemas['ApiKeyView'];
export type CreatedApiKey = Schemas['CreatedApiKey'];

const keysKey = (projectId: string) => ['api-keys', projectId] as const;

/** A project's keys, newest first (every page: a project has few). */
export function useApiKeys(projectId: string) {
  return useQuery({
    queryKey: keysKey(projectId),
    queryFn: async () => {
      const all: ApiKey[] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(api.GET('/api/projects/{id}/api-keys', { params: { path: { id: projectId }, query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
        all.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return all;
    },
  });
}

export function useCreateApiKey(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.POST('/api/projects/{id}/api-keys', { params: { path: { id: projectId } }, body: { name } })),
    onSuccess: () => client.invalidateQueries({ queryKey: keysKey(projectId) }),
  });
}

export function useRevokeApiKey(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/api-keys/{id}', { params: { path: { id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: keysKey(projectId) }),
  });
}

/** Live connections change without the dashboard hearing of it: a refresh button reads the list again. */
export function useRefreshApiKeys(projectId: string) {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: keysKey(projectId) });
}
