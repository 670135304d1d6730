/**
 * The dashboard's API client: `@ferry/api`'s typed client on the page's own origin, with
 * the session cookie and, once signed in, the session's CSRF token on every request.
 */
import { createFerryClient, FerryApiError, type FerryClient } from '@ferry/api';

/** A client for the signed-in session (or an anonymous one without a CSRF token). */
export function createApi(csrfToken?: string): FerryClient {
  return createFerryClient({
    baseUrl: window.location.origin,
    headers: csrfToken === undefined ? {} : { 'x-csrf-token': csrfToken },
  });
}

/** A message for people: the server's words, with each named field. */
export function errorMessage(err: unknown): string {
  if (err instanceof FerryApiError) {
    const fields = err.details.map((d) => `${d.path}: ${d.message}`).join('; ');
    return fields === '' ? err.message : `${err.message} (${fields})`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** True when the error is the server's 404 (missing, or not yours). */
export function isNotFound(err: unknown): boolean {
  return err instanceof FerryApiError && err.status === 404;
}

/** True when the error means the caller is not signed in. */
export function isUnauthenticated(err: unknown): boolean {
  return err instanceof FerryApiError && err.status === 401;
}
