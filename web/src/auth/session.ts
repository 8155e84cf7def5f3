import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, type Schemas, api, unwrap } from '../api/client';

export type Me = Schemas['UserView'];

export const meKey = ['auth', 'me'] as const;

/** The signed-in person, or null when signed out. */
export function useMe() {
  return useQuery({
    queryKey: meKey,
    queryFn: async (): Promise<Me | null> => {
      try {
        return await unwrap(api.GET('/api/auth/me'));
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return async () => {
    await unwrap(api.POST('/api/auth/logout')).catch(() => undefined);
    client.clear();
    client.setQueryData(meKey, null);
  };
}

/** Where to go after signing in: a path inside the app from `?next=`, never another site. */
export function safeNext(search: URLSearchParams): string {
  const next = search.get('next');
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/sign-in') ? next : '/reviews';
}
