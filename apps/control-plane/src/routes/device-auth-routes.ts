/**
 * Routes of the device sign-in (RFC 8628): the device starts it and polls (public), the
 * signed-in user looks the code up and approves or denies it (dashboard sessions only, since
 * approving mints a token). The user code is never in a URL the server sees: the look-up
 * and the decision carry it in their bodies, the link the device shows in its fragment. Starting and deciding are audited by the pipeline; a poll only
 * when it issues the token, so waiting devices do not fill the audit log.
 */
import { NO_SCOPE } from '../authz/route-scope.ts';
import { appendAudit } from '../audit/record-audit.ts';
import { PUBLIC, SESSIONS, defineRoute, type AnyRouteDefinition } from '../http/define-route.ts';
import {
  DEVICE_CODE_TTL_MS,
  DEVICE_TOKEN_DAYS,
  DeviceGrantError,
  decideDeviceRequest,
  findPendingDeviceRequest,
  formatUserCode,
  pollDeviceAuthorization,
  startDeviceAuthorization,
} from '../identity/device-authorizations.ts';
import { userOf } from './route-helpers.ts';

/** The dashboard page where a user approves a code. */
const DEVICE_PAGE = '/device';

export const deviceAuthRoutes: readonly AnyRouteDefinition[] = [
  defineRoute({
    name: 'auth.deviceCode',
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    async handle({ resources, body, now, audit }) {
      const started = await startDeviceAuthorization(resources.db, {
        clientName: body.name ?? 'ferry CLI',
        tokenDays: body.expires_in_days ?? DEVICE_TOKEN_DAYS,
        now,
      });
      Object.assign(audit, {
        targetType: 'device-authorization',
        targetId: started.id,
        details: { clientName: body.name ?? 'ferry CLI' },
      });
      const base = resources.config.publicUrl.replace(/\/+$/, '');
      const userCode = formatUserCode(started.userCode);
      return {
        device_code: started.deviceCode,
        user_code: userCode,
        verification_uri: `${base}${DEVICE_PAGE}`,
        // In the fragment, which browsers never send: the code stays out of request logs.
        verification_uri_complete: `${base}${DEVICE_PAGE}#code=${userCode}`,
        expires_in: Math.round(DEVICE_CODE_TTL_MS / 1000),
        interval: started.intervalSeconds,
      };
    },
  }),
  defineRoute({
    name: 'auth.deviceToken',
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    audited: false,
    async handle({ resources, body, now, requestId }) {
      const polled = await pollDeviceAuthorization(resources.db, body.device_code, now);
      if (polled instanceof DeviceGrantError) throw polled;
      await appendAudit(
        resources.db,
        {
          actorType: 'user',
          actorId: polled.userId,
          tokenId: polled.tokenId,
          action: 'auth.deviceToken',
          targetType: 'token',
          targetId: polled.tokenId,
          outcome: 'success',
          requestId,
          details: { deviceAuthorization: polled.authorizationId },
        },
        now,
      );
      return {
        access_token: polled.secret,
        token_type: 'Bearer' as const,
        expires_in: polled.expiresInSeconds,
        scope: polled.scopes.join(' '),
        token_id: polled.tokenId,
      };
    },
  }),
  defineRoute({
    name: 'auth.deviceRequest',
    permission: null,
    scope: NO_SCOPE,
    callers: SESSIONS,
    // A look-up, not a change: POST only to keep the code out of the URL.
    audited: false,
    handle({ resources, body, now }) {
      return findPendingDeviceRequest(resources.db, body.userCode, now);
    },
  }),
  defineRoute({
    name: 'auth.deviceDecide',
    permission: null,
    scope: NO_SCOPE,
    callers: SESSIONS,
    async handle({ resources, principal, body, now, audit }) {
      const user = userOf(principal);
      const { id, ...decided } = await decideDeviceRequest(resources.db, {
        userCode: body.userCode,
        userId: user.userId,
        approve: body.approve,
        now,
      });
      Object.assign(audit, {
        targetType: 'device-authorization',
        targetId: id,
        details: { clientName: decided.clientName, approved: body.approve },
      });
      return decided;
    },
  }),
];
