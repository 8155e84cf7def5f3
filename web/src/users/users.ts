import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type Schemas, api, unwrap } from '../api/client';

export type User = Schemas['UserView'];
export type CreatedUser = Schemas['CreatedUserView'];
export type NewUser = Schemas['CreateUserDto'];
export type UserPatch = Schemas['UpdateUserDto'];
export const ROLES = ['admin', 'reviewer', 'viewer'] as const;

export const usersKey = ['users'] as const;

/** Every dashboard user, newest first. */
export function useUsers() {
  return useQuery({
    queryKey: usersKey,
    queryFn: async () => {
      const all: User[] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(api.GET('/api/users', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
        all.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return all;
    },
  });
}

export function useCreateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: NewUser) => unwrap(api.POST('/api/users', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: usersKey }),
  });
}

export function useUpdateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: UserPatch }) => unwrap(api.PATCH('/api/users/{id}', { params: { path: { id } }, body: patch })),
    onSuccess: (user) => client.setQueryData<User[]>(usersKey, (all) => all?.map((u) => (u.id === user.id ? user : u))),
  });
}
