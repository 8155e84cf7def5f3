import { Alert, Button, Code, CopyButton, Group, Stack, Text } from '@mantine/core';

/** A secret the server shows once: the value, a copy button, and the warning that it will not be shown again. */
export function ShownOnce({ label, value, onDone }: { label: string; value: string; onDone: () => void }) {
  return (
    <Alert color="yellow" variant="outline" title={`Copy the ${label} now`} role="alert">
      <Stack gap="xs">
        <Text size="sm">This is the only time the {label} is shown. Arbiter keeps only a hash or a sealed copy; if you lose it, make a new one.</Text>
        <Code block aria-label={label} style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }}>
          {value}
        </Code>
        <Group>
          <CopyButton value={value}>
            {({ copied, copy }) => (
              <Button size="xs" variant="light" color={copied ? 'teal.8' : 'indigo.8'} onClick={copy}>
                {copied ? 'Copied' : `Copy the ${label}`}
              </Button>
            )}
          </CopyButton>
          <Button size="xs" variant="default" onClick={onDone}>
            I have stored it
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}
