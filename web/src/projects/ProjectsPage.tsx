import { Alert, Anchor, Badge, Button, Group, Loader, NativeSelect, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useNavigate, useOutletContext } from 'react-router';
import type { Me } from '../auth/session';
import { useCreateProject, useProjects } from './projects';

/** The projects, newest first, and (for admins) a form to create one. */
export function ProjectsPage() {
  const me = useOutletContext<Me>();
  const projects = useProjects();
  const items = projects.data ?? [];

  useEffect(() => {
    document.title = 'Projects · Arbiter';
    return () => {
      document.title = 'Arbiter';
    };
  }, []);

  return (
    <Stack maw={1100} mx="auto" gap="md">
      <Title order={1}>Projects</Title>
      {me.role === 'admin' && <CreateProject />}
      {projects.isPending && <Loader aria-label="Loading projects" />}
      {projects.isError && (
        <Alert color="red" variant="outline" role="alert" title="Could not load the projects">
          {projects.error.message}
        </Alert>
      )}
      {projects.isSuccess && items.length === 0 && <Text c="dark.6">No project yet.</Text>}
      {items.length > 0 && (
        <Table.ScrollContainer minWidth={600} type="native" tabIndex={0} role="region" aria-label="Projects list">
          <Table striped withTableBorder highlightOnHover fz="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Mode</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th>Rules</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((p) => (
                <Table.Tr key={p.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/projects/${p.id}`} style={{ overflowWrap: 'anywhere' }}>
                      {p.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{p.mode}</Table.Td>
                  <Table.Td>
                    {p.paused_at ? (
                      <Badge color="red.8" variant="dot" c="dark.8">
                        Paused
                      </Badge>
                    ) : (
                      <Badge color="teal.8" variant="dot" c="dark.8">
                        Active
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/projects/${p.id}/rules`} aria-label={`Rules of ${p.name}`}>
                      Rules
                    </Anchor>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

function CreateProject() {
  const create = useCreateProject();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [mode, setMode] = useState<'monitor' | 'block' | 'hitl'>('block');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name: name.trim(), mode }, { onSuccess: (project) => navigate(`/projects/${project.id}`) });
  };

  return (
    <Paper withBorder p="md" component="form" onSubmit={submit} aria-labelledby="create-project-title">
      <Title order={2} size="h4" id="create-project-title" mb="sm">
        New project
      </Title>
      <Group align="flex-end" gap="sm" wrap="wrap">
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} maxLength={100} />
        <NativeSelect
          label="Mode"
          value={mode}
          onChange={(e) => setMode(e.currentTarget.value as typeof mode)}
          data={[
            { label: 'Block (rules decide; review blocks)', value: 'block' },
            { label: 'Human in the loop (review waits for a person)', value: 'hitl' },
            { label: 'Monitor (everything allowed, recorded)', value: 'monitor' },
          ]}
        />
        <Button type="submit" loading={create.isPending} disabled={!name.trim()}>
          Create project
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
