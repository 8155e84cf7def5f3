import { Alert, Anchor, Badge, Button, Group, Loader, Modal, Paper, Stack, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useProject } from '../projects/projects';
import { AdminOnly } from '../users/AdminOnly';
import { type ApiKey, type CreatedApiKey, useApiKeys, useCreateApiKey, useRefreshApiKeys, useRevokeApiKey } from './keys';
import { ShownOnce } from './ShownOnce';

const when = (iso: string) => new Date(iso).toLocaleString();

/** A project's SDK API keys (admins): create one (shown once), see who made it and whether it is in use, revoke it. */
export function ApiKeysPage() {
  const { id = '' } = useParams();
  return (
    <AdminOnly what="API keys">
      <ApiKeys projectId={id} />
    </AdminOnly>
  );
}

function ApiKeys({ projectId }: { projectId: string }) {
  const project = useProject(projectId);
  const keys = useApiKeys(projectId);
  const refresh = useRefreshApiKeys(projectId);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);

  useEffect(() => {
    document.title = `API keys · ${project.data?.name ?? 'Project'} · Arbiter`;
    return () => {
      document.title = 'Arbiter';
    };
  }, [project.data]);

  return (
    <Stack maw={1100} mx="auto" gap="md">
      <Anchor component={Link} to={`/projects/${projectId}`} size="sm">
        ← {project.data?.name ?? 'The project'}
      </Anchor>
      <Title order={1}>API keys{project.data ? ` · ${project.data.name}` : ''}</Title>
      <CreateKeyForm projectId={projectId} onCreated={setCreated} />
      {created && <ShownOnce label="API key" value={created.key} onDone={() => setCreated(null)} />}
      <Paper withBorder p="md">
        <Group justify="space-between" mb="sm">
          <Title order={2} size="h4">
            Keys
          </Title>
          <Button size="xs" variant="default" onClick={() => void refresh()} loading={keys.isFetching}>
            Refresh
          </Button>
        </Group>
        {keys.isPending && <Loader aria-label="Loading the keys" />}
        {keys.isError && (
          <Alert color="red" variant="outline" role="alert">
            {keys.error.message}
          </Alert>
        )}
        {keys.data && keys.data.length === 0 && <Text size="sm">No keys yet: create one for each agent or deployment.</Text>}
        {keys.data && keys.data.length > 0 && (
          <Table.ScrollContainer minWidth={800} type="native" tabIndex={0} role="region" aria-label="API keys">
            <Table withTableBorder fz="sm" verticalSpacing="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Prefix</Table.Th>
                  <Table.Th>Created by</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th>Live connections</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {keys.data.map((key) => (
                  <Table.Tr key={key.id}>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>{key.name}</Table.Td>
                    <Table.Td>
                      <code>arb_{key.prefix}_…</code>
                    </Table.Td>
                    <Table.Td>{key.created_by_email ?? '—'}</Table.Td>
                    <Table.Td title={key.created_at}>{when(key.created_at)}</Table.Td>
                    <Table.Td title={key.last_used_at ?? undefined}>{key.last_used_at ? when(key.last_used_at) : 'never'}</Table.Td>
                    <Table.Td>{key.revoked_at ? '—' : key.live_connections}</Table.Td>
                    <Table.Td>
                      {key.revoked_at ? (
                        <Badge color="gray.7" variant="outline" c="dark.8" title={key.revoked_at}>
                          Revoked
                        </Badge>
                      ) : (
                        <Button size="xs" color="red.9" variant="outline" onClick={() => setRevoking(key)} aria-label={`Revoke ${key.name}`}>
                          Revoke
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Paper>
      <RevokeDialog projectId={projectId} apiKey={revoking} onClose={() => setRevoking(null)} />
    </Stack>
  );
}

function CreateKeyForm({ projectId, onCreated }: { projectId: string; onCreated: (key: CreatedApiKey) => void }) {
  const create = useCreateApiKey(projectId);
  const [name, setName] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return;
    create.mutate(name.trim(), {
      onSuccess: (key) => {
        setName('');
        onCreated(key);
      },
    });
  };
  return (
    <Paper withBorder p="md" component="form" onSubmit={submit} aria-labelledby="new-key-title">
      <Title order={2} size="h4" id="new-key-title" mb="sm">
        New key
      </Title>
      <Group align="end">
        <TextInput label="Key name" description="Say which agent or deployment uses it" required maxLength={100} value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <Button type="submit" loading={create.isPending}>
          Create key
        </Button>
      </Group>
      {create.isError && (
        <Alert color="red" variant="outline" role="alert" mt="sm">
          {create.error.message}
        </Alert>
      )}
    </Paper>
  );
}

function RevokeDialog({ projectId, apiKey, onClose }: { projectId: string; apiKey: ApiKey | null; onClose: () => void }) {
  const revoke = useRevokeApiKey(projectId);
  return (
    <Modal opened={apiKey !== null} onClose={onClose} title={`Revoke ${apiKey?.name ?? 'the key'}?`} closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack gap="sm">
        <Text size="sm">
          Every agent using <code>arb_{apiKey?.prefix}_…</code> is disconnected at once, on every instance, and the key is refused from now on. This cannot be undone.
        </Text>
        {revoke.isError && (
          <Alert color="red" variant="outline" role="alert">
            {revoke.error.message}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color="red.9" loading={revoke.isPending} onClick={() => apiKey && revoke.mutate(apiKey.id, { onSuccess: onClose })}>
            Revoke key
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
