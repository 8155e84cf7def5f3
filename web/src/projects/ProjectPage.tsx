import { Alert, Anchor, Button, Group, Loader, NativeSelect, NumberInput, Paper, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useOutletContext, useParams } from 'react-router';
import type { Me } from '../auth/session';
import { PauseCard } from './PauseCard';
import { type Project, useProject, useUpdateProject } from './projects';

/** One project: its settings (admins edit them), its pause switch, and a way to its rules. */
export function ProjectPage() {
  const { id = '' } = useParams();
  const me = useOutletContext<Me>();
  const project = useProject(id);

  useEffect(() => {
    if (project.data) document.title = `${project.data.name} · Projects · Arbiter`;
    return () => {
      document.title = 'Arbiter';
    };
  }, [project.data]);

  if (project.isPending) return <Loader aria-label="Loading the project" />;
  if (project.isError) {
    return (
      <Alert color="red" variant="outline" role="alert" title="Could not load the project">
        {project.error.message}
      </Alert>
    );
  }
  const p = project.data;
  return (
    <Stack maw={900} mx="auto" gap="md">
      <Anchor component={Link} to="/projects" size="sm">
        ← All projects
      </Anchor>
      <Title order={1} style={{ overflowWrap: 'anywhere' }}>
        {p.name}
      </Title>
      <PauseCard project={p} canChange={me.role === 'admin'} />
      <Group>
        <Button component={Link} to={`/projects/${p.id}/rules`} variant="default">
          Rules, dry run and history
        </Button>
        {me.role === 'admin' && (
          <Button component={Link} to={`/projects/${p.id}/keys`} variant="default">
            API keys
          </Button>
        )}
        {me.role === 'admin' && (
          <Button component={Link} to={`/projects/${p.id}/webhooks`} variant="default">
            Webhooks
          </Button>
        )}
      </Group>
      <SettingsForm key={p.id} project={p} canChange={me.role === 'admin'} />
    </Stack>
  );
}

function SettingsForm({ project, canChange }: { project: Project; canChange: boolean }) {
  const update = useUpdateProject(project.id);
  const [name, setName] = useState(project.name);
  const [mode, setMode] = useState(project.mode);
  const [timeout, setTimeoutSeconds] = useState<number | string>(project.review_timeout_seconds);
  const [timeoutDecision, setTimeoutDecision] = useState(project.timeout_decision);
  const [allowEdits, setAllowEdits] = useState(project.allow_edits ?? false);
  const [saved, setSaved] = useState(false);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    update.mutate(
      {
        name: name.trim(),
        mode: mode as 'monitor' | 'block' | 'hitl',
        review_timeout_seconds: Number(timeout),
        timeout_decision: timeoutDecision as 'allow' | 'block',
        allow_edits: allowEdits,
      },
      { onSuccess: () => setSaved(true) },
    );
  };

  return (
    <Paper withBorder p="md" component="form" onSubmit={submit} aria-labelledby="settings-title">
      <Title order={2} size="h4" id="settings-title" mb="sm">
        Settings
      </Title>
      <Stack gap="sm">
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} disabled={!canChange} maxLength={100} />
        <NativeSelect
          label="Mode"
          value={mode}
          onChange={(e) => setMode(e.currentTarget.value as Project['mode'])}
          disabled={!canChange}
          data={[
            { label: 'Block (rules decide; review blocks)', value: 'block' },
            { label: 'Human in the loop (review waits for a person)', value: 'hitl' },
            { label: 'Monitor (everything allowed, recorded)', value: 'monitor' },
          ]}
        />
        <NumberInput
          label="Review timeout (seconds)"
          description={`5 to ${project.review_max_timeout_seconds}`}
          min={5}
          max={project.review_max_timeout_seconds}
          value={timeout}
          onChange={setTimeoutSeconds}
          disabled={!canChange}
        />
        <NativeSelect
          label="Decision when a review times out"
          value={timeoutDecision}
          onChange={(e) => setTimeoutDecision(e.currentTarget.value as Project['timeout_decision'])}
          disabled={!canChange}
          data={[
            { label: 'Block', value: 'block' },
            { label: 'Allow', value: 'allow' },
          ]}
        />
        <Switch
          label="Reviewers may approve with an edited input"
          checked={allowEdits}
          onChange={(e) => setAllowEdits(e.currentTarget.checked)}
          disabled={!canChange}
        />
        {canChange && (
          <Group>
            <Button type="submit" loading={update.isPending}>
              Save settings
            </Button>
          </Group>
        )}
        {!canChange && <Text size="sm">Only admins change a project's settings.</Text>}
        <div aria-live="polite">{saved && <Text size="sm" c="teal.9">Settings saved.</Text>}</div>
        {update.isError && (
          <Alert color="red" variant="outline" role="alert">
            {update.error.message}
          </Alert>
        )}
      </Stack>
    </Paper>
  );
}
