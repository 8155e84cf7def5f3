import { Button, Group, Loader, Modal, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { type Review, reviewName, useReviewDetail } from './reviews';

interface Props {
  review: Review | null;
  onClose(): void;
  onSubmit(input: unknown, note: string | undefined): void;
}

/** Parses the editor's text: the value, or why it is not JSON (shown at the field; nothing is sent). */
export function parseJsonInput(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: false, error: 'Enter the input as JSON, e.g. {"cmd": "ls"}' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: `Not valid JSON: ${(err as Error).message}` };
  }
}

/** Edit & approve: the agent's input in a JSON editor, checked before it is sent, and an optional note. */
export function EditApproveDialog({ review, onClose, onSubmit }: Props) {
  const detail = useReviewDetail(review?.id ?? '');
  const [text, setText] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [filledFor, setFilledFor] = useState<string | null>(null);
  const original = detail.data?.event.input;

  useEffect(() => {
    if (review && detail.data && filledFor !== review.id) {
      setText(JSON.stringify(original, null, 2) ?? 'null');
      setNote('');
      setError(null);
      setFilledFor(review.id);
    }
    if (!review && filledFor) setFilledFor(null);
  }, [review, detail.data, original, filledFor]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseJsonInput(text);
    if (!parsed.ok) {
      setError(parsed.error);
      return;
    }
    onSubmit(parsed.value, note.trim() || undefined);
  };

  return (
    <Modal opened={review !== null} onClose={onClose} title={<Text fw={700}>Edit & approve {review ? reviewName(review) : ''}</Text>} centered size="lg" closeButtonProps={{ 'aria-label': 'Close' }}>
      {!detail.data ? (
        <Loader size="sm" aria-label="Loading the input" />
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            <Textarea
              label="Input (JSON)"
              description="The agent runs this input instead of its own."
              autosize
              minRows={4}
              maxRows={18}
              data-autofocus
              spellCheck={false}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              value={text}
              error={error}
              onChange={(e) => {
                setText(e.currentTarget.value);
                setError(null);
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) submit(e);
              }}
            />
            <TextInput label="Note" description="Optional; the agent receives it as the verdict's reason." maxLength={2000} value={note} onChange={(e) => setNote(e.currentTarget.value)} />
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" color="teal.9">
                Approve edited input
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
