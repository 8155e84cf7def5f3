import { Alert, Button, Group, Kbd, Loader, Paper, Stack, Switch, Text, Title } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { useNavigate, useOutletContext } from 'react-router';
import type { Me } from '../auth/session';
import { canDecide, useReviewActions } from './actions';
import { BulkBar } from './BulkBar';
import { KeyboardHelp } from './KeyboardHelp';
import { ReviewCard } from './ReviewCard';
import { setNotifications, useNotifications } from './notifications';
import { usePendingReviews, useProjectNames } from './reviews';
import { SettledLog } from './SettledLog';

/** Keys typed into a field are text, not shortcuts. */
function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

/** The reviewer's home: every pending review, soonest to expire first, live from the event stream. */
export function InboxPage() {
  const me = useOutletContext<Me>();
  const pending = usePendingReviews();
  const projects = useProjectNames();
  const actions = useReviewActions(me);
  const navigate = useNavigate();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [help, setHelp] = useState(false);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [bulkDialog, setBulkDialog] = useState(false);
  const notifications = useNotifications();
  const cards = useRef(new Map<string, HTMLElement>());
  const reviews = pending.data ?? [];
  const decide = canDecide(me);

  // The selection stays on its review while others come and go; when it leaves, the next one in line takes over.
  const index = Math.max(0, reviews.findIndex((r) => r.id === selectedId));
  const selected = reviews[index];
  const lastIndex = useRef(0);
  useEffect(() => {
    if (reviews.length === 0) return;
    if (!reviews.some((r) => r.id === selectedId)) setSelectedId(reviews[Math.min(lastIndex.current, reviews.length - 1)].id);
    else lastIndex.current = index;
  }, [reviews, selectedId, index]);

  useEffect(() => {
    document.title = reviews.length > 0 ? `(${reviews.length}) Reviews · Arbiter` : 'Reviews · Arbiter';
    return () => {
      document.title = 'Arbiter';
    };
  }, [reviews.length]);

  const select = (i: number) => {
    const next = reviews[Math.max(0, Math.min(reviews.length - 1, i))];
    if (!next) return;
    setSelectedId(next.id);
    const el = cards.current.get(next.id);
    el?.focus({ preventScroll: true });
    el?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || typing(e.target) || actions.dialogOpen || bulkDialog || help) return;
      const key = e.key;
      if (key === '?') setHelp(true);
      else if (key === 'j') select(index + 1);
      else if (key === 'k') select(index - 1);
      else if (!selected) return;
      else if (key === 'Enter' && (e.target as HTMLElement | null)?.tagName === 'ARTICLE') navigate(`/reviews/${selected.id}`);
      else if (!decide) return;
      else if (key === 'a') actions.approve(selected);
      else if (key === 'e' && actions.allowsEdits(selected)) actions.edit(selected);
      else if (key === 'd') actions.deny(selected);
      else if (key === 'x') actions.extend(selected);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  return (
    <Stack maw={980} mx="auto" gap="md">
      <Group justify="space-between" align="flex-end">
        <Stack gap={2}>
          <Title order={1}>Reviews</Title>
          <Text c="dark.6" size="sm" aria-live="polite">
            {pending.isSuccess ? (reviews.length === 0 ? 'Nothing waits for a decision.' : `${reviews.length} pending, soonest to expire first.`) : ' '}
          </Text>
        </Stack>
        <Group gap="md">
          {notifications.supported && (
            <Switch
              label="Notify me when the tab is hidden"
              checked={notifications.on}
              disabled={notifications.denied}
              description={notifications.denied ? 'Blocked in this browser’s settings' : undefined}
              onChange={(e) => void setNotifications(e.currentTarget.checked)}
            />
          )}
          <Button variant="default" size="xs" onClick={() => setHelp(true)} visibleFrom="sm">
            Keyboard shortcuts <Kbd ml={6}>?</Kbd>
          </Button>
        </Group>
      </Group>
      <SettledLog />
      {decide && <BulkBar me={me} reviews={reviews} picked={picked} onPick={setPicked} onDialog={setBulkDialog} />}
      {pending.isPending && <Loader aria-label="Loading reviews" />}
      {pending.isError && (
        <Alert color="red" variant="outline" role="alert" title="Could not load the reviews">
          {pending.error.message}
        </Alert>
      )}
      {pending.isSuccess && reviews.length === 0 && (
        <Paper withBorder p="xl" radius="md" ta="center">
          <Text fw={600}>All clear.</Text>
          <Text size="sm" c="dark.6">
            New reviews appear here the moment an agent asks; this page updates by itself.
          </Text>
        </Paper>
      )}
      <Stack gap="md" role="feed" aria-label="Pending reviews" aria-busy={pending.isFetching}>
        {reviews.map((review) => (
          <ReviewCard
            key={review.id}
            ref={(el) => {
              if (el) cards.current.set(review.id, el);
              else cards.current.delete(review.id);
            }}
            review={review}
            projectName={projects.data?.get(review.project_id)}
            selected={review.id === selected?.id}
            canDecide={decide}
            busy={actions.busy(review)}
            picked={picked.has(review.id)}
            onPick={(on) => {
              const next = new Set(picked);
              if (on) next.add(review.id);
              else next.delete(review.id);
              setPicked(next);
            }}
            onApprove={() => actions.approve(review)}
            onEdit={() => actions.edit(review)}
            onDeny={() => actions.deny(review)}
            onExtend={() => actions.extend(review)}
            onFocus={() => setSelectedId(review.id)}
          />
        ))}
      </Stack>
      {actions.dialogs}
      <KeyboardHelp opened={help} onClose={() => setHelp(false)} />
    </Stack>
  );
}
