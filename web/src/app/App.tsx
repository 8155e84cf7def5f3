import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { Suspense, lazy, useEffect } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { ApiError, onApiError } from '../api/client';
import { ChangePasswordPage } from '../auth/ChangePasswordPage';
import { meKey } from '../auth/session';
import { SignInPage } from '../auth/SignInPage';
import { InboxPage } from '../reviews/InboxPage';
import { Layout } from './Layout';
import { NotFoundPage } from './NotFoundPage';
import { RequireSignIn } from './RequireSignIn';
import { theme } from './theme';

// The inbox (the route people keep open) loads with the app; every other page is its own chunk, fetched when first
// visited, so the inbox's first load stays small (npm run bench, figure 9).
const AuditPage = lazy(() => import('../audit/AuditPage').then((m) => ({ default: m.AuditPage })));
const ApiKeysPage = lazy(() => import('../keys/ApiKeysPage').then((m) => ({ default: m.ApiKeysPage })));
const OverviewPage = lazy(() => import('../overview/OverviewPage').then((m) => ({ default: m.OverviewPage })));
const ReviewPage = lazy(() => import('../reviews/ReviewPage').then((m) => ({ default: m.ReviewPage })));
const ProjectPage = lazy(() => import('../projects/ProjectPage').then((m) => ({ default: m.ProjectPage })));
const ProjectsPage = lazy(() => import('../projects/ProjectsPage').then((m) => ({ default: m.ProjectsPage })));
const RulesPage = lazy(() => import('../projects/RulesPage').then((m) => ({ default: m.RulesPage })));
const SessionPage = lazy(() => import('../sessions/SessionPage').then((m) => ({ default: m.SessionPage })));
const SessionsPage = lazy(() => import('../sessions/SessionsPage').then((m) => ({ default: m.SessionsPage })));
const UsersPage = lazy(() => import('../users/UsersPage').then((m) => ({ default: m.UsersPage })));
const WebhooksPage = lazy(() => import('../webhooks/WebhooksPage').then((m) => ({ default: m.WebhooksPage })));

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
          <Suspense fallback={null}>
          <Routes>
            <Route path="/sign-in" element={<SignInPage />} />
            <Route path="/change-password" element={<ChangePasswordPage />} />
            <Route element={<RequireSignIn />}>
              <Route element={<Layout />}>
                <Route index element={<Navigate to="/reviews" replace />} />
                <Route path="/reviews" element={<InboxPage />} />
                <Route path="/reviews/:id" element={<ReviewPage />} />
                <Route path="/overview" element={<OverviewPage />} />
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
          </Suspense>
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  );
}
