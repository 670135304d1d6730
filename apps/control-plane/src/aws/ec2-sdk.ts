/**
 * `@aws-sdk/client-ec2` is by far the heaviest module of the control plane (about 48 MiB
 * resident on top of everything else the server imports — more than Fastify, Kysely, zod
 * and the other AWS clients together; bench/memory), and a server with no EC2 work needs
 * none of it: it is loaded on the first EC2 client asked for, never at start. Code that sends EC2 commands takes them from
 * `await loadEc2Sdk()`; a static import of anything but types is a lint error.
 */
import type * as Ec2Sdk from '@aws-sdk/client-ec2';

export type { Ec2Sdk };

let loading: Promise<typeof Ec2Sdk> | undefined;

/** The EC2 client module, loaded once on first use. */
export function loadEc2Sdk(): Promise<typeof Ec2Sdk> {
  loading ??= import('@aws-sdk/client-ec2');
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}
