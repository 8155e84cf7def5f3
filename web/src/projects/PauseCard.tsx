import { Alert, Button, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { type Project, usePauseProject, useResumeProject } from './projects';

/**
 * The project's kill switch. Paused, every new event of the project is blocked on every instance with a reason naming
 * who paused it; reviews already pending stay pending.
 */
export function PauseCard({ project, canChange }: { project: Project; canChange: boolean }) {
  const pause = usePauseProject(project.id);
  const resume = useResumeProject(project.id);
  const [reason, setReason] = useState('');
  const error = pause.error ?? resume.error;

  return (
    <Paper withBorder p="md" aria-labelledby="pause-title" bg={project.paused_at ? 'red.0' : undefined} component="section">
      <Title order={2} size="h4" id="pause-title" mb="xs">
        {project.paused_at ? 'Paused' : 'Pause'}
      </Title>
      <Stack gap="sm">
        {project.paused_at ? (
          <Text role="status">
            Paused by {project.paused_by} on {new Date(project.paused_at).toLocaleString()}
            {project.pause_reason ? `: ${project.pause_reason}` : ''}. Every new event is blocked; pending reviews stay as they are.
          </Text>
        ) : (
          <Text size="sm">Pausing blocks every new event of this project at once, on every instance. Pending reviews stay as they are.</Text>
        )}
        {canChange &&
          (project.paused_at ? (
            <Group>
              <Button color="teal.8" onClick={() => resume.mutate()} loading={resume.isPending}>
                Resume project
              </Button>
            </Group>
          ) : (
            <Group align="flex-end" wrap="wrap">
              <TextInput label="Reason (sent to the agents)" value={reason} onChange={(e) => setReason(e.currentTarget.value)} maxLength={500} />
              <Button color="red.8" onClick={() => pause.mutate(reason, { onSuccess: () => setReason('') })} loading={pause.isPending}>
                Pause project
              </Button>
            </Group>
          ))}
        {error && (
          <Alert color="red" variant="outline" role="alert">
            {error.message}
          </Alert>
        )}
      </Stack>
    </Paper>
  );
}
