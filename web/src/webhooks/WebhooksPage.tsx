import { Alert, Anchor, Button, Checkbox, Group, Loader, Modal, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ShownOnce } from '../keys/ShownOnce';
import { useProject } from '../projects/projects';
import { AdminOnly } from '../users/AdminOnly';
import { DeliveryLog } from './DeliveryLog';
import { type CreatedWebhook, DEFAULT_WEBHOOK_EVENTS, type NewWebhook, WEBHOOK_EVENTS, type Webhook, useCreateWebhook, useDeleteWebhook, useWebhooks } from './webhooks';

/** A project's webhooks (admins): add one (its secret shown once), see its delivery log, test it, remove it. */
export function WebhooksPage() {
  const { id = '' } = useParams();
  return (
    <AdminOnly what="webhooks">
      <Webhooks projectId={id} />
    </AdminOnly>
  );
}

function Webhooks({ projectId }: { projectId: string }) {
  const project = useProject(projectId);
  const hooks = useWebhooks(projectId);
  const [created, setCreated] = useState<CreatedWebhook | null>(null);
  const [removing, setRemoving] = useState<Webhook | null>(null);

  useEffect(() => {
    document.title = `Webhooks · ${project.data?.name ?? 'Project'} · Arbiter`;
    return () => {
      document.title = 'Arbiter';
    };
  }, [project.data]);

  return (
    <Stack maw={1100} mx="auto" gap="md">
      <Anchor component={Link} to={`/projects/${projectId}`} size="sm">
        ← {project.data?.name ?? 'The project'}
      </Anchor>
      <Title order={1}>Webhooks{project.data ? ` · ${project.data.name}` : ''}</Title>
      <CreateWebhookForm projectId={projectId} onCreated={setCreated} />
      {created?.secret && <ShownOnce label="signing secret" value={created.secret} onDone={() => setCreated(null)} />}
      {hooks.isPending && <Loader aria-label="Loading the webhooks" />}
      {hooks.isError && (
        <Alert color="red" variant="outline" role="alert">
          {hooks.error.message}
        </Alert>
      )}
      {hooks.data && hooks.data.length === 0 && <Text size="sm">No webhooks yet.</Text>}
      {hooks.data?.map((hook) => (
        <Paper key={hook.id} withBorder p="md" component="section" aria-label={`Webhook ${hook.url}`}>
          <Group justify="space-between" align="start" mb="xs" wrap="nowrap">
            <Stack gap={2} style={{ minWidth: 0 }}>
              <Title order={2} size="h5" style={{ overflowWrap: 'anywhere' }}>
                {hook.url}
              </Title>
              <Text size="sm" c="dark.6">
                {hook.events.join(', ')} · added {new Date(hook.created_at).toLocaleString()}
              </Text>
            </Stack>
            <Button size="xs" color="red.9" variant="outline" onClick={() => setRemoving(hook)} aria-label={`Delete the webhook ${hook.url}`}>
              Delete
            </Button>
          </Group>
          <DeliveryLog projectId={projectId} webhookId={hook.id} url={hook.url} />
        </Paper>
      ))}
      <DeleteDialog projectId={projectId} hook={removing} onClose={() => setRemoving(null)} />
    </Stack>
  );
}

function CreateWebhookForm({ projectId, onCreated }: { projectId: string; onCreated: (hook: CreatedWebhook) => void }) {
  const create = useCreateWebhook(projectId);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([...DEFAULT_WEBHOOK_EVENTS]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!url.trim() || events.length === 0) return;
    create.mutate(
      { url: url.trim(), events: events as NewWebhook['events'] },
      {
        onSuccess: (hook) => {
          setUrl('');
          onCreated(hook);
        },
      },
    );
  };
  return (
    <Paper withBorder p="md" component="form" onSubmit={submit} aria-labelledby="new-webhook-title">
      <Title order={2} size="h4" id="new-webhook-title" mb="sm">
        New webhook
      </Title>
      <Stack gap="sm">
        <TextInput label="URL" description="Called with POST and a signed JSON body" type="url" required maxLength={2000} value={url} onChange={(e) => setUrl(e.currentTarget.value)} />
        <Checkbox.Group label="Events" value={events} onChange={setEvents} required error={events.length === 0 ? 'Choose at least one event' : undefined}>
          <Group mt={4}>
            {WEBHOOK_EVENTS.map((event) => (
              <Checkbox key={event} value={event} label={event} />
            ))}
          </Group>
        </Checkbox.Group>
        <Text size="sm" c="dark.6">
          A signing secret is generated and shown once.
        </Text>
        <Group>
          <Button type="submit" loading={create.isPending}>
            Add webhook
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

function DeleteDialog({ projectId, hook, onClose }: { projectId: string; hook: Webhook | null; onClose: () => void }) {
  const remove = useDeleteWebhook(projectId);
  return (
    <Modal opened={hook !== null} onClose={onClose} title="Delete this webhook?" closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack gap="sm">
        <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
          {hook?.url} will get no more calls, and its queued deliveries are dropped.
        </Text>
        {remove.isError && (
          <Alert color="red" variant="outline" role="alert">
            {remove.error.message}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color="red.9" loading={remove.isPending} onClick={() => hook && remove.mutate(hook.id, { onSuccess: onClose })}>
            Delete webhook
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
