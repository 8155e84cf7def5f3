import { Alert, Stack } from '@mantine/core';
import { dismiss, useSettled } from './reviews';

const COLOR = { allow: 'teal.9', block: 'red.9', info: 'gray.8', error: 'orange.9' } as const;

/** What just left the queue and why: a polite live region, so a screen reader hears it too. */
export function SettledLog() {
  const settled = useSettled();
  return (
    <Stack gap="xs" role="log" aria-live="polite" aria-label="Recently settled">
      {settled.map((s) => (
        <Alert key={s.id} color={COLOR[s.tone]} variant="outline" withCloseButton closeButtonLabel="Dismiss" onClose={() => dismiss(s.id)} p="xs">
          {s.text}
        </Alert>
      ))}
    </Stack>
  );
}
