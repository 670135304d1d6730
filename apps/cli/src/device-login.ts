/**
 * `ferry login --browser`: the device sign-in of RFC 8628. The control plane gives a device
 * code and a short user code; the user opens the dashboard's page (offered on a terminal,
 * never without one), signs in and approves the code; meanwhile the CLI polls at the
 * interval the server sets (longer after `slow_down`) until it gets a personal access
 * token, the user denies it, or the code expires.
 */
import { hostname } from 'node:os';
import {
  DEVICE_CLIENT_ID,
  DEVICE_CODE_GRANT_TYPE,
  FerryApiError,
  createFerryClient,
} from '@ferry/api';
import { CliError, type CliContext } from './cli-command.ts';
import { EXIT } from './exit-codes.ts';
import { confirm } from './prompt.ts';

/** What the device gets once the user approved. */
export interface DeviceLoginResult {
  readonly token: string;
  readonly tokenId: string;
}

/** Options of {@link deviceLogin}. */
export interface DeviceLoginOptions {
  readonly expiresInDays: number;
  /** Waits between polls; tests may shorten it (the server's interval otherwise). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** False: print the link, never offer to open it. */
  readonly open?: boolean;
}

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs the device sign-in against `url`; the instructions go to stderr. */
export async function deviceLogin(
  context: CliContext,
  url: string,
  options: DeviceLoginOptions,
): Promise<DeviceLoginResult> {
  const client = createFerryClient({ baseUrl: url });
  const started = await client.call('auth.deviceCode', {
    body: {
      client_id: DEVICE_CLIENT_ID,
      name: `ferry CLI on ${hostname()}`.slice(0, 64).trim(),
      expires_in_days: options.expiresInDays,
    },
  });
  context.io.stderr(
    [
      `To sign in, open ${started.verification_uri} in a browser and enter the code`,
      ``,
      `    ${started.user_code}`,
      ``,
      `or open ${started.verification_uri_complete}`,
      `(the code expires in ${Math.round(started.expires_in / 60)} minutes)`,
      '',
    ].join('\n'),
  );
  if (options.open !== false && context.io.openUrl !== undefined) {
    const open = await confirm(context, 'Open the browser now?', true);
    if (open)
      await context.io.openUrl(started.verification_uri_complete).catch((error: unknown) => {
        context.io.stderr(
          `ferry: could not open a browser (${(error as Error).message}); open the link yourself\n`,
        );
      });
  }
  context.io.stderr('waiting for the approval…\n');

  const sleep = options.sleep ?? sleepMs;
  const deadline = Date.now() + started.expires_in * 1000;
  let interval = started.interval;
  for (;;) {
    await sleep(interval * 1000);
    try {
      const granted = await client.call('auth.deviceToken', {
        body: {
          grant_type: DEVICE_CODE_GRANT_TYPE,
          device_code: started.device_code,
          client_id: DEVICE_CLIENT_ID,
        },
      });
      return { token: granted.access_token, tokenId: granted.token_id };
    } catch (error) {
      if (!(error instanceof FerryApiError) || error.status !== 400) throw error;
      if (error.code === 'authorization_pending' && Date.now() < deadline) continue;
      if (error.code === 'slow_down') {
        interval += 5;
        continue;
      }
      if (error.code === 'access_denied')
        throw new CliError('access_denied', 'the sign-in was denied in the browser', EXIT.auth);
      if (error.code === 'expired_token' || error.code === 'authorization_pending')
        throw new CliError(
          'device_code_expired',
          'the code expired before it was approved; run `ferry login --browser` again',
          EXIT.incomplete,
        );
      throw error;
    }
  }
}
