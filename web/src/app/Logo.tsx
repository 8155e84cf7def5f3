import { Group, Text } from '@mantine/core';

/** The wordmark: a shield glyph drawn inline (no image request, no alt text to get wrong). */
export function Logo() {
  return (
    <Group gap={8} wrap="nowrap">
      <svg width="26" height="26" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
        <path d="M12 2 3 6v6c0 5 3.8 9.4 9 10 5.2-.6 9-5 9-10V6l-9-4z" fill="#364fc7" />
        <path d="m8 12 3 3 5-6" fill="none" stroke="#fff" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      <Text fw={700} size="lg" c="dark.8">
        Arbiter
      </Text>
    </Group>
  );
}
