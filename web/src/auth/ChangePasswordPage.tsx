import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { Logo } from '../app/Logo';
import { meKey, safeNext, useMe } from './session';

const MIN_LENGTH = 12;

/** Also where a first sign-in lands: the API answers 403 password_change_required until this is done. */
export function ChangePasswordPage() {
  const [search] = useSearchParams();
  const next = safeNext(search);
  const me = useMe();
  const client = useQueryClient();
  const navigate = useNavigate();
  const [current, setCurrent] = useState('');
  const [fresh, setFresh] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (me.isSuccess && !me.data) return <Navigate to={`/sign-in?next=${encodeURIComponent('/change-password?next=' + next)}`} replace />;
  const forced = me.data?.must_change_password ?? false;
  const mismatch = repeat.length > 0 && repeat !== fresh;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (fresh.length < MIN_LENGTH || fresh !== repeat) return;
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.POST('/api/auth/change-password', { body: { current_password: current, new_password: fresh } }));
      await client.invalidateQueries({ queryKey: meKey });
      navigate(next, { replace: true });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center component="main" mih="100vh" p="md" bg="gray.0">
      <Paper withBorder shadow="sm" radius="md" p="xl" w="100%" maw={420}>
        <form onSubmit={submit} aria-labelledby="change-password-title">
          <Stack>
            <Logo />
            <Title order={1} size="h3" id="change-password-title">
              Change your password
            </Title>
            {forced && <Text size="sm">This is your first sign-in: choose a password of your own before you go on.</Text>}
            <Text size="sm">Your other sessions are signed out when it changes.</Text>
            {error && (
              <Alert color="red" variant="outline" role="alert" title="Could not change the password">
                {error}
              </Alert>
            )}
            <PasswordInput label="Current password" autoComplete="current-password" required withAsterisk={false} value={current} onChange={(e) => setCurrent(e.currentTarget.value)} />
            <PasswordInput
              label="New password"
              description={`At least ${MIN_LENGTH} characters`}
              autoComplete="new-password"
              required
              withAsterisk={false}
              minLength={MIN_LENGTH}
              value={fresh}
              onChange={(e) => setFresh(e.currentTarget.value)}
            />
            <PasswordInput
              label="Repeat the new password"
              autoComplete="new-password"
              required
              withAsterisk={false}
              value={repeat}
              error={mismatch ? 'The two passwords differ' : undefined}
              onChange={(e) => setRepeat(e.currentTarget.value)}
            />
            <Button type="submit" loading={busy} fullWidth>
              Change password
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
