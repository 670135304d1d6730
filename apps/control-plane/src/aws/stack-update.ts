/**
 * Stack updates: the workspace's stack reports its template version when it phones home;
 * when the platform now builds a newer one, admins get the permission/security table of
 * `@aws-cdk/cloudformation-diff` (deployed template → latest), the resources that change,
 * and the update-stack command and console link. Every template the platform hands out is
 * kept with the setup by version, so the deployed one can always be diffed.
 */
import { Writable } from 'node:stream';
import { fullDiff, formatSecurityChanges } from '@aws-cdk/cloudformation-diff';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ConflictError, NotFoundError } from '@ferry/core';
import type { Resources } from '../resources.ts';
import { loadPlatform } from './platform-init.ts';
import {
  templateTexts,
  updateStackCommand,
  updateStackUrl,
  type SetupInstructions,
  type SetupRequest,
} from './setup-instructions.ts';

/** What the update route answers. */
export interface StackUpdateView {
  workspaceId: string;
  stackName: string;
  deployedVersion: string;
  latestVersion: string;
  upToDate: boolean;
  iamChanges: {
    rows: string[][];
    text: string;
    added: { principal: string; action: string }[];
    removed: { principal: string; action: string }[];
  };
  resourceChanges: {
    logicalId: string;
    resourceType: string;
    change: 'added' | 'removed' | 'updated';
  }[];
  templateUrl: string | null;
  updateStackCommand: string | null;
  updateUrl: string | null;
}

/** The stored setup request: the request, its instructions, and templates by version. */
type StoredRequest = SetupRequest & {
  instructions: SetupInstructions;
  templates?: Record<string, string>;
};

const TEMPLATE_URL_SECONDS = 7 * 24 * 3600;

// cloudformation-diff draws its tables with colours when it thinks it writes to a terminal.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

const versionOf = (templateJson: string): string | undefined => {
  const t = JSON.parse(templateJson) as { Outputs?: { TemplateVersion?: { Value?: unknown } } };
  const v = t.Outputs?.TemplateVersion?.Value;
  return typeof v === 'string' ? v : undefined;
};

/** Actions added and removed per principal, from the IAM statement rows (`+` / `-`). */
function permissionDelta(
  rows: string[][],
): Pick<StackUpdateView['iamChanges'], 'added' | 'removed'> {
  const side = (sign: string): Set<string> => {
    const out = new Set<string>();
    for (const row of rows.slice(1)) {
      if (row[0] !== sign) continue;
      const principal = row[4] ?? '';
      for (const action of (row[3] ?? '').split('\n')) {
        if (action !== '') out.add(`${principal}\n${action}`);
      }
    }
    return out;
  };
  const plus = side('+');
  const minus = side('-');
  const list = (keys: string[]) =>
    keys.sort().map((k) => {
      const [principal = '', action = ''] = k.split('\n');
      return { principal, action };
    });
  return {
    added: list([...plus].filter((k) => !minus.has(k))),
    removed: list([...minus].filter((k) => !plus.has(k))),
  };
}

/** The diff between two rendered templates. */
export function diffTemplates(
  deployedJson: string,
  latestJson: string,
): Pick<StackUpdateView, 'iamChanges' | 'resourceChanges'> {
  const diff = fullDiff(
    JSON.parse(deployedJson) as Record<string, unknown>,
    JSON.parse(latestJson) as Record<string, unknown>,
  );
  const rows = [
    ...diff.iamChanges.summarizeStatements(),
    ...diff.iamChanges.summarizeManagedPolicies().slice(1),
  ];
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  if (diff.iamChanges.hasChanges || diff.securityGroupChanges.hasChanges) {
    formatSecurityChanges(sink, diff);
  }
  const resourceChanges: StackUpdateView['resourceChanges'] = [];
  diff.resources.forEachDifference((logicalId, change) => {
    resourceChanges.push({
      logicalId,
      resourceType: change.resourceType ?? '',
      change: change.isAddition ? 'added' : change.isRemoval ? 'removed' : 'updated',
    });
  });
  return {
    iamChanges: { rows, text: text.replace(ANSI, ''), ...permissionDelta(rows) },
    resourceChanges,
  };
}

/** Whether the workspace's stack is up to date, the diff to the latest template, and how to update. */
export async function stackUpdate(
  resources: Resources,
  workspaceId: string,
): Promise<StackUpdateView> {
  const db = resources.db;
  const setup = await db
    .selectFrom('aws_setups')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (setup === undefined) throw new NotFoundError('This workspace has no AWS setup yet.');
  const deployedVersion = setup.outputs.TemplateVersion;
  const stackId = setup.outputs.StackId;
  if (typeof deployedVersion !== 'string' || setup.status === 'disconnected') {
    throw new ConflictError(
      'aws_stack_not_connected',
      'The workspace has no connected stack: finish the AWS setup first.',
    );
  }
  const request = setup.request as unknown as StoredRequest;
  const { instructions } = request;
  const latestJson = templateTexts(
    request,
    instructions.parameters,
    resources.aws.options.templatePermissions,
    resources.aws.options.templateResultsBucket,
  ).json;
  const latestVersion = versionOf(latestJson) ?? '';
  const templates: Record<string, string> = { ...request.templates };
  const createdWith = versionOf(instructions.templateJson);
  if (createdWith !== undefined) templates[createdWith] ??= instructions.templateJson;
  const deployedJson = templates[deployedVersion];
  const base = {
    workspaceId,
    stackName: instructions.stackName,
    deployedVersion,
    latestVersion,
  };
  if (deployedVersion === latestVersion) {
    return {
      ...base,
      upToDate: true,
      iamChanges: { rows: [], text: '', added: [], removed: [] },
      resourceChanges: [],
      templateUrl: null,
      updateStackCommand: null,
      updateUrl: null,
    };
  }
  if (deployedJson === undefined) {
    throw new ConflictError(
      'aws_template_unknown',
      `The stack reports template ${deployedVersion}, which this platform did not hand out: start the setup again.`,
    );
  }
  const templateUrl = await publishTemplate(resources, workspaceId, latestVersion, latestJson);
  if (templates[latestVersion] === undefined) {
    // Kept so that, once the stack runs this version, later updates can be diffed against it.
    const stored: StoredRequest = {
      ...request,
      templates: { ...request.templates, [latestVersion]: latestJson },
    };
    await db
      .updateTable('aws_setups')
      .set({ request: JSON.stringify(stored) })
      .where('workspace_id', '=', workspaceId)
      .execute();
  }
  const endpointUrl = resources.config.aws.endpointUrl;
  return {
    ...base,
    upToDate: false,
    ...diffTemplates(deployedJson, latestJson),
    templateUrl,
    updateStackCommand: updateStackCommand({
      endpointUrl,
      region: setup.region,
      templateUrl,
      stackName: instructions.stackName,
      parameters: instructions.parameters,
    }),
    updateUrl: updateStackUrl({
      endpointUrl,
      region: setup.region,
      stackId: typeof stackId === 'string' ? stackId : instructions.stackName,
      templateUrl,
    }),
  };
}

/** Uploads the template to the platform's bucket (once per version) and presigns it. */
async function publishTemplate(
  resources: Resources,
  workspaceId: string,
  version: string,
  json: string,
): Promise<string> {
  const platform = await loadPlatform(resources);
  const key = `workspaces/${workspaceId}/templates/${version.replace(/[^\w.-]/g, '-')}.json`;
  const s3 = resources.aws.clients.s3();
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: platform.templateBucket,
        Key: key,
        Body: json,
        ContentType: 'application/json',
      }),
    );
    return await getSignedUrl(
      s3,
      new GetObjectCommand({ Bucket: platform.templateBucket, Key: key }),
      { expiresIn: TEMPLATE_URL_SECONDS },
    );
  } finally {
    s3.destroy();
  }
}
