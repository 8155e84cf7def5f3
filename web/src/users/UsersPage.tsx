import { Alert, Badge, Button, Checkbox, Group, Loader, NativeSelect, Paper, PasswordInput, Radio, Stack, Table, TextInput, Title } from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { useOutletContext } from 'react-router';
import { ApiError } from '../api/client';
import type { Me } from '../auth/session';
import { ShownOnce } from '../keys/ShownOnce';
import { AdminOnly } from './AdminOnly';
import { type CreatedUser, ROLES, type User, useCreateUser, useUpdateUser, useUsers } from './users';

/** Dashboard users (admins): create one, change a role, disable or enable an account. */
export function UsersPage() {
  useEffect(() => {
    document.title = 'Users · Arbiter';
    return () => {
      document.title = 'Arbiter';
    };
  }, []);
  return (
    <AdminOnly what="users">
      <Users />
    </AdminOnly>
  );
}

/** The API's words, plus what to do for the refusals an admin can meet here. */
function explain(err: Error): string {
  if (err instanceof ApiError && err.code === 'last_admin') return `${err.message}. Arbiter always keeps one enabled admin.`;
  return err.message;
}

function Users() {
  const me = useOutletContext<Me>();
  const users = useUsers();
  const update = useUpdateUser();
  const [created, setCreated] = useState<CreatedUser | null>(null);

  return (
    <Stack maw={1100} mx="auto" gap="md">
      <Title order={1}>Users</Title>
      <CreateUserForm onCreated={setCreated} />
      {created?.password && <ShownOnce label={`initial password for ${created.email}`} value={created.password} onDone={() => setCreated(null)} />}
      {update.isError && (
        <Alert color="red" variant="outline" role="alert" title="Not changed">
          {explain(update.error)}
        </Alert>
      )}
      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="sm">
          Everyone
        </Title>
        {users.isPending && <Loader aria-label="Loading the users" />}
        {users.isError && (
          <Alert color="red" variant="outline" role="alert">
            {users.error.message}
          </Alert>
        )}
        {users.data && (
          <Table.ScrollContainer minWidth={760} type="native" tabIndex={0} role="region" aria-label="Users">
            <Table withTableBorder fz="sm" verticalSpacing="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Email</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Account</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {users.data.map((user) => (
                  <UserRow key={user.id} user={user} isMe={user.id === me.id} onChange={(patch) => update.mutate({ id: user.id, patch })} busy={update.isPending && update.variables?.id === user.id} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Paper>
    </Stack>
  );
}

function UserRow({ user, isMe, onChange, busy }: { user: User; isMe: boolean; onChange: (patch: { role?: User['role']; disabled?: boolean }) => void; busy: boolean }) {
  return (
    <Table.Tr>
      <Table.Td style={{ overflowWrap: 'anywhere' }}>
        {user.email}
        {isMe ? ' (you)' : ''}
      </Table.Td>
      <Table.Td>
        <NativeSelect
          aria-label={`Role of ${user.email}`}
          size="xs"
          value={user.role}
          disabled={busy}
          onChange={(e) => onChange({ role: e.currentTarget.value as User['role'] })}
          data={ROLES.map((r) => ({ value: r, label: r }))}
        />
      </Table.Td>
      <Table.Td>
        <Group gap={4}>
          {user.disabled ? (
            <Badge color="gray.7" variant="outline" c="dark.8">
              Disabled
            </Badge>
          ) : (
            <Badge color="teal.9" variant="outline" c="dark.8">
              Active
            </Badge>
          )}
          {user.must_change_password && (
            <Badge color="orange.9" variant="outline" c="dark.8">
              Must change password
            </Badge>
          )}
        </Group>
      </Table.Td>
      <Table.Td>{new Date(user.created_at).toLocaleString()}</Table.Td>
      <Table.Td>
        <Button size="xs" variant="outline" color={user.disabled ? 'teal.9' : 'red.9'} loading={busy} onClick={() => onChange({ disabled: !user.disabled })} aria-label={`${user.disabled ? 'Enable' : 'Disable'} ${user.email}`}>
          {user.disabled ? 'Enable' : 'Disable'}
        </Button>
      </Table.Td>
    </Table.Tr>
  );
}

function CreateUserForm({ onCreated }: { onCreated: (user: CreatedUser) => void }) {
  const create = useCreateUser();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<User['role']>('reviewer');
  const [passwordChoice, setPasswordChoice] = useState<'generate' | 'set'>('generate');
  const [password, setPassword] = useState('');
  const [mustChange, setMustChange] = useState(true);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body = passwordChoice === 'generate' ? { email: email.trim(), role } : { email: email.trim(), role, password, must_change_password: mustChange };
    create.mutate(body, {
      onSuccess: (user) => {
        setEmail('');
        setPassword('');
        onCreated(user);
      },
    });
  };

  return (
    <Paper withBorder p="md" component="form" onSubmit={submit} aria-labelledby="new-user-title">
      <Title order={2} size="h4" id="new-user-title" mb="sm">
        New user
      </Title>
      <Stack gap="sm">
        <Group align="start" grow>
          <TextInput label="Email" type="email" required maxLength={320} value={email} onChange={(e) => setEmail(e.currentTarget.value)} />
          <NativeSelect label="Role" value={role} onChange={(e) => setRole(e.currentTarget.value as User['role'])} data={ROLES.map((r) => ({ value: r, label: r }))} />
        </Group>
        <Radio.Group label="Initial password" value={passwordChoice} onChange={(v) => setPasswordChoice(v as 'generate' | 'set')}>
          <Group mt={4}>
            <Radio value="generate" label="Generate one (shown once; changed at first sign-in)" />
            <Radio value="set" label="Set it myself" />
          </Group>
        </Radio.Group>
        {passwordChoice === 'set' && (
          <>
            <PasswordInput label="Password" description="At least 12 characters" required minLength={12} maxLength={1024} value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
            <Checkbox label="Must change it at first sign-in" checked={mustChange} onChange={(e) => setMustChange(e.currentTarget.checked)} />
          </>
        )}
        <Group>
          <Button type="submit" loading={create.isPending}>
            Create user
          </Button>
        </Group>
        {create.isError && (
          <Alert color="red" variant="outline" role="alert">
            {create.error.message}
          </Alert>
        )}
      </Stack>
    </Paper>
  );
}
