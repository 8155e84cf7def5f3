import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useEffect } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { ApiError, onApiError } from '../api/client';
import { AuditPage } from '../audit/AuditPage';
import { ChangePasswordPage } from '../auth/ChangePasswordPage';
import { meKey } from '../auth/session';
import { SignInPage } from '../auth/SignInPage';
import { ApiKeysPage } from '../keys/ApiKeysPage';
import { InboxPage } from '../reviews/InboxPage';
import { ReviewPage } from '../reviews/ReviewPage';
import { ProjectPage } from '../projects/ProjectPage';
import { ProjectsPage } from '../projects/ProjectsPage';
import { RulesPage } from '../projects/RulesPage';
import { SessionPage } from '../sessions/SessionPage';
import { SessionsPage } from '../sessions/SessionsPage';
import { UsersPage } from '../users/UsersPage';
import { WebhooksPage } from '../webhooks/WebhooksPage';
import { Layout } from './Layout';
import { NotFoundPage } from './NotFoundPage';
import { RequireSignIn } from './RequireSignIn';
import { theme } from './theme';

const queryClient = new QueryClient({
  defaultOptions: {
    // Live data comes from the event stream, which patches or invalidates the cache: no refetch on a timer or on focus.
    queries: { staleTime: Infinity, refetchOnWindowFocus: false, retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2 },
  },
});

/** A signed-out or must-change-password answer anywhere sends the person to the page that fixes it. */
function useSessionWatch() {
  useEffect(
    () =>
      onApiError((err) => {
        if (err.status === 401) queryClient.setQueryData(meKey, null);
        else if (err.code === 'password_change_required') void queryClient.invalidateQueries({ queryKey: meKey });
      }),
    [],
  );
}

export function App() {
  useSessionWatch();
  return (
    <MantineProvider theme={theme} defaultColorScheme="light">
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <Routes>
            <Route path="/sign-in" element={<SignInPage />} />
            <Route path="/change-password" element={<ChangePasswordPage />} />
            <Route element={<RequireSignIn />}>
              <Route element={<Layout />}>
                <Route index element={<Navigate to="/reviews" replace />} />
                <Route path="/reviews" element={<InboxPage />} />
                <Route path="/reviews/:id" element={<ReviewPage />} />
                <Route path="/projects" element={<ProjectsPage />} />
                <Route path="/projects/:id" element={<ProjectPage />} />
                <Route path="/projects/:id/rules" element={<RulesPage />} />
                <Route path="/projects/:id/keys" element={<ApiKeysPage />} />
                <Route path="/projects/:id/webhooks" element={<WebhooksPage />} />
                <Route path="/users" element={<UsersPage />} />
                <Route path="/audit" element={<AuditPage />} />
                <Route path="/sessions" element={<SessionsPage />} />
                <Route path="/sessions/:id" element={<SessionPage />} />
                <Route path="*" element={<NotFoundPage />} />
              </Route>
            </Route>
          </Routes>
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  );
}
