/**
 * An instance metadata service per instance, listening on the instance's own loopback
 * address: IMDSv2 session tokens (PUT /latest/api/token), IMDSv1 refused when HttpTokens is
 * required, instance facts, tags (when enabled), user-data and the instance profile role's
 * credentials.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InstanceCredentials } from './instance-credentials.ts';
import { zoneIdOf } from './regions.ts';
import type { InstanceRecord } from './state.ts';

export interface ImdsSource {
  accountId: string;
  region: string;
  /** The instance as it is now (undefined once it is gone). */
  instance(): InstanceRecord | undefined;
  tags(): Record<string, string>;
  /** Current credentials of the profile's role (refreshed by the caller before expiry). */
  credentials(): Promise<InstanceCredentials>;
  now(): number;
}

export interface Imds {
  readonly port: number;
  readonly endpoint: string;
  close(): Promise<void>;
}

const MAX_TOKEN_TTL = 21600;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Starts the service on `ip` (port chosen by the system). */
export async function startImds(ip: string, source: ImdsSource): Promise<Imds> {
  const tokens = new Map<string, number>();

  const reply = (res: ServerResponse, status: number, body: string, type = 'text/plain') => {
    res.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      server: 'EC2ws',
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const inst = source.instance();
    if (!inst || inst.metadataOptions.httpEndpoint === 'disabled')
      return reply(res, 404, 'Not Found');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const now = source.now();
    if (req.headers['x-forwarded-for'] !== undefined) return reply(res, 403, 'Forbidden');

    if (path === '/latest/api/token') {
      if (req.method !== 'PUT') return reply(res, 405, 'Method Not Allowed');
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL)
        return reply(res, 400, 'Bad Request');
      const token = randomBytes(36).toString('base64');
      tokens.set(token, now + ttl * 1000);
      res.setHeader('x-aws-ec2-metadata-token-ttl-seconds', String(ttl));
      return reply(res, 200, token);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'Method Not Allowed');
    const token = req.headers['x-aws-ec2-metadata-token'];
    if (typeof token === 'string') {
      const expiry = tokens.get(token);
      if (expiry === undefined || expiry <= now) {
        tokens.delete(token);
        return reply(res, 401, 'Unauthorized');
      }
    } else if (inst.metadataOptions.httpTokens === 'required') {
      return reply(res, 401, 'Unauthorized');
    }

    const tags = source.tags();
    const tagsEnabled = inst.metadataOptions.instanceMetadataTags === 'enabled';
    const profile = inst.iamInstanceProfile;
    const hostname = `ip-${inst.privateIpAddress.replace(/\./g, '-')}.${source.region === 'us-east-1' ? 'ec2.internal' : `${source.region}.compute.internal`}`;
    const facts: Record<string, string> = {
      'ami-id': inst.imageId,
      'ami-launch-index': String(inst.amiLaunchIndex),
      hostname,
      'instance-id': inst.instanceId,
      'instance-type': inst.instanceType,
      'local-hostname': hostname,
      'local-ipv4': inst.privateIpAddress,
      mac: inst.macAddress,
      'public-ipv4': inst.publicIpAddress ?? '',
      'reservation-id': inst.reservationId,
      'security-groups': inst.securityGroups.map((g) => g.groupName).join('\n'),
      'placement/availability-zone': inst.availabilityZone,
      'placement/availability-zone-id': zoneIdOf(inst.availabilityZone),
      'placement/region': source.region,
    };

    if (path === '/latest/user-data' || path === '/latest/user-data/') {
      if (!inst.userData) return reply(res, 404, 'Not Found');
      return reply(
        res,
        200,
        Buffer.from(inst.userData, 'base64').toString('utf8'),
        'application/octet-stream',
      );
    }
    if (path === '/latest/dynamic/instance-identity/document') {
      return reply(
        res,
        200,
        JSON.stringify(
          {
            accountId: source.accountId,
            architecture: inst.architecture,
            availabilityZone: inst.availabilityZone,
            imageId: inst.imageId,
            instanceId: inst.instanceId,
            instanceType: inst.instanceType,
            pendingTime: iso(inst.launchTime),
            privateIp: inst.privateIpAddress,
            region: source.region,
            version: '2017-09-30',
          },
          null,
          2,
        ),
        'application/json',
      );
    }
    if (path === '/latest/meta-data' || path === '/latest/meta-data/') {
      const entries = [
        'ami-id',
        'ami-launch-index',
        'hostname',
        'instance-id',
        'instance-type',
        'local-hostname',
        'local-ipv4',
        'mac',
        'placement/',
        'public-ipv4',
        'reservation-id',
        'security-groups',
      ];
      if (profile) entries.push('iam/');
      if (tagsEnabled) entries.push('tags/');
      return reply(res, 200, entries.sort().join('\n'));
    }
    const sub = path.replace(/^\/latest\/meta-data\//, '');
    if (sub === path) return reply(res, 404, 'Not Found');
    if (sub === 'placement' || sub === 'placement/')
      return reply(res, 200, 'availability-zone\navailability-zone-id\nregion');
    const fact = facts[sub];
    if (fact !== undefined) return reply(res, 200, fact);

    if (tagsEnabled) {
      if (sub === 'tags' || sub === 'tags/') return reply(res, 200, 'instance');
      if (sub === 'tags/instance' || sub === 'tags/instance/')
        return reply(res, 200, Object.keys(tags).join('\n'));
      if (sub.startsWith('tags/instance/')) {
        const value = tags[decodeURIComponent(sub.slice('tags/instance/'.length))];
        return value === undefined ? reply(res, 404, 'Not Found') : reply(res, 200, value);
      }
    }
    if (profile && sub.startsWith('iam')) {
      const role = profile.roleName;
      if (sub === 'iam' || sub === 'iam/') return reply(res, 200, 'info\nsecurity-credentials/');
      if (sub === 'iam/info') {
        return reply(
          res,
          200,
          JSON.stringify(
            {
              Code: 'Success',
              LastUpdated: iso(now),
              InstanceProfileArn: profile.arn,
              InstanceProfileId: profile.id,
            },
            null,
            2,
          ),
          'application/json',
        );
      }
      if (!role) return reply(res, 404, 'Not Found');
      if (sub === 'iam/security-credentials' || sub === 'iam/security-credentials/')
        return reply(res, 200, role);
      if (sub === `iam/security-credentials/${role}`) {
        try {
          const c = await source.credentials();
          return reply(
            res,
            200,
            JSON.stringify(
              {
                Code: 'Success',
                LastUpdated: iso(c.issuedAt),
                Type: 'AWS-HMAC',
                AccessKeyId: c.accessKeyId,
                SecretAccessKey: c.secretAccessKey,
                Token: c.sessionToken,
                Expiration: iso(c.expiresAt),
              },
              null,
              2,
            ),
            'application/json',
          );
        } catch (e) {
          return reply(
            res,
            200,
            JSON.stringify(
              {
                Code: 'AssumeRoleUnauthorizedAccess',
                Message: (e as Error).message,
                LastUpdated: iso(now),
              },
              null,
              2,
            ),
            'application/json',
          );
        }
      }
    }
    return reply(res, 404, 'Not Found');
  };

  const server = createServer((req, res) => {
    req.resume();
    handle(req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, 'Internal Server Error');
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, ip, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    endpoint: `http://${ip}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
