import { Alert, Button, Center, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { ApiError, api, unwrap } from '../api/client';
import { Logo } from '../app/Logo';
import { meKey, safeNext, useMe } from './session';

export function SignInPage() {
  const [search] = useSearchParams();
  const next = safeNext(search);
  const me = useMe();
  const client = useQueryClient();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (me.data) return <Navigate to={me.data.must_change_password ? `/change-password?next=${encodeURIComponent(next)}` : next} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.POST('/api/auth/login', { body: { email, password } }));
      client.clear();
      const fresh = await client.fetchQuery({ queryKey: meKey, queryFn: () => unwrap(api.GET('/api/auth/me')) });
      navigate(fresh.must_change_password ? `/change-password?next=${encodeURIComponent(next)}` : next, { replace: true });
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'Wrong email or password.' : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center component="main" mih="100vh" p="md" bg="gray.0">
      <Paper withBorder shadow="sm" radius="md" p="xl" w="100%" maw={400}>
        <form onSubmit={submit} aria-labelledby="sign-in-title">
          <Stack>
            <Logo />
            <Title order={1} size="h3" id="sign-in-title">
              Sign in
            </Title>
            <Text size="sm">Review what your agents want to do, and decide.</Text>
            {error && (
              <Alert color="red" variant="outline" role="alert" title="Could not sign in">
                {error}
              </Alert>
            )}
            {/* No asterisk and no show-password toggle: the fields' names are exactly "Email" and "Password". */}
            <TextInput label="Email" type="email" autoComplete="username" required withAsterisk={false} value={email} onChange={(e) => setEmail(e.currentTarget.value)} autoFocus />
            <TextInput label="Password" type="password" autoComplete="current-password" required withAsterisk={false} value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
            <Button type="submit" loading={busy} fullWidth>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
