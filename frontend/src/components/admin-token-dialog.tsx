import { lazy, Suspense, useSyncExternalStore } from 'react';
import { currentTokenRequest, subscribeTokenRequest } from '@/lib/admin-token';

/** Fetched the first time a management call asks for the token: the first screen never needs it. */
const AdminTokenForm = lazy(() => import('./admin-token-form').then((module) => ({ default: module.AdminTokenForm })));

/** Answers `requestAdminToken`: a modal form, shown only while a management call waits for it. */
export function AdminTokenDialog() {
  const request = useSyncExternalStore(subscribeTokenRequest, currentTokenRequest, currentTokenRequest);
  return request ? (
    <Suspense fallback={null}>
      <AdminTokenForm request={request} />
    </Suspense>
  ) : null;
}
