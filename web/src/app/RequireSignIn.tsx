import { Alert, Center, Loader } from '@mantine/core';
import { Navigate, Outlet, useLocation } from 'react-router';
import { useMe } from '../auth/session';

/** The signed-in part of the app: signed out, it sends the person to sign in and brings them back here after. */
export function RequireSignIn() {
  const me = useMe();
  const location = useLocation();
  const here = location.pathname + location.search + location.hash;
  if (me.isPending)
    return (
      <Center component="main" mih="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  if (me.isError)
    return (
      <Center component="main" mih="100vh" p="md">
        <Alert color="red" variant="outline" role="alert" title="Arbiter cannot be reached">
          {me.error.message}
        </Alert>
      </Center>
    );
  if (!me.data) return <Navigate to={`/sign-in?next=${encodeURIComponent(here)}`} replace />;
  if (me.data.must_change_password) return <Navigate to={`/change-password?next=${encodeURIComponent(here)}`} replace />;
  return <Outlet context={me.data} />;
}
