import { AppShell, Badge, Burger, Button, Group, Menu, NavLink, Stack, Text, VisuallyHidden } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, Outlet, useLocation, useNavigate, useOutletContext } from 'react-router';
import { type Me, useSignOut } from '../auth/session';
import { usePendingReviews, useReviewFeed } from '../reviews/reviews';
import { useStreamStatus } from '../stream/stream';
import { Logo } from './Logo';

/** The signed-in frame: header, navigation (a drawer on a phone), and the live feed every page shares. */
export function Layout() {
  // From RequireSignIn, which renders this only while someone is signed in (the query itself empties on sign-out).
  const me = useOutletContext<Me>();
  useReviewFeed(me);
  const pending = usePendingReviews();
  const [open, { toggle, close }] = useDisclosure(false);
  const location = useLocation();
  const navigate = useNavigate();
  const signOut = useSignOut();
  const live = useStreamStatus();
  const count = pending.data?.length ?? 0;

  return (
    <AppShell header={{ height: 60 }} navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !open } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={open} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={open ? 'Close navigation' : 'Open navigation'} />
            <Link to="/reviews" aria-label="Arbiter home" style={{ textDecoration: 'none' }}>
              <Logo />
            </Link>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Badge variant="dot" color={live === 'live' ? 'teal.8' : 'orange.8'} c="dark.8" visibleFrom="xs" role="status">
              {live === 'live' ? 'Live' : 'Reconnecting…'}
            </Badge>
            <Text size="sm" visibleFrom="md" c="dark.6">
              {me.email} <VisuallyHidden>role</VisuallyHidden>({me.role})
            </Text>
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <Button variant="default" size="xs">
                  Account
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>{me.email}</Menu.Label>
                <Menu.Item component={Link} to={`/change-password?next=${encodeURIComponent(location.pathname)}`}>
                  Change password
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
            <Button
              variant="default"
              size="xs"
              onClick={async () => {
                await signOut();
                navigate('/sign-in', { replace: true });
              }}
            >
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Main">
        <Stack gap={4}>
          <NavLink
            component={Link}
            to="/reviews"
            label="Reviews"
            active={location.pathname.startsWith('/reviews')}
            onClick={close}
            rightSection={
              count > 0 ? (
                <Badge size="sm" color="indigo.8" circle={count < 10} aria-label={`${count} pending`}>
                  {count}
                </Badge>
              ) : undefined
            }
          />
          <NavLink component={Link} to="/overview" label="Overview" active={location.pathname.startsWith('/overview')} onClick={close} />
          <NavLink component={Link} to="/projects" label="Projects" active={location.pathname.startsWith('/projects')} onClick={close} />
          <NavLink component={Link} to="/sessions" label="Sessions" active={location.pathname.startsWith('/sessions')} onClick={close} />
          {me.role === 'admin' && <NavLink component={Link} to="/users" label="Users" active={location.pathname.startsWith('/users')} onClick={close} />}
          {me.role === 'admin' && <NavLink component={Link} to="/audit" label="Audit log" active={location.pathname.startsWith('/audit')} onClick={close} />}
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main bg="gray.0">
        <Outlet context={me} />
      </AppShell.Main>
    </AppShell>
  );
}
