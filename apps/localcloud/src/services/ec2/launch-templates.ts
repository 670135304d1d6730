/** Launch templates and their versions. */
import type { Call, Cloud } from '../../core/contract.ts';
import {
  authorizeAll,
  authorizeChecks,
  ec2Arn,
  endDryRun,
  requestTagContext,
  resourceTagContext,
} from './authorize.ts';
import { ec2Error, missing, optString, optStrings } from './errors.ts';
import { matchesFilters, readFilters, tagFilterValues } from './filters.ts';
import { newId } from './ids.ts';
import { recall, remember } from './idempotency.ts';
import { paginate } from './pagination.ts';
import type { Ec2State, LaunchTemplateRecord, LaunchTemplateVersionRecord } from './state.ts';
import { createTagsCheck, readTagSpecifications, tagListOrUndefined } from './tags.ts';

type Out = Promise<Record<string, unknown>>;

const NAME_RE = /^[a-zA-Z0-9().\-/_]{3,128}$/;

function templateShape(state: Ec2State, t: LaunchTemplateRecord): Record<string, unknown> {
  return {
    LaunchTemplateId: t.launchTemplateId,
    LaunchTemplateName: t.launchTemplateName,
    CreateTime: new Date(t.createdAt),
    CreatedBy: t.createdBy,
    DefaultVersionNumber: t.defaultVersion,
    LatestVersionNumber: t.latestVersion,
    Tags: tagListOrUndefined(state.tags[t.launchTemplateId]),
  };
}

function versionShape(
  t: LaunchTemplateRecord,
  v: LaunchTemplateVersionRecord,
): Record<string, unknown> {
  return {
    LaunchTemplateId: t.launchTemplateId,
    LaunchTemplateName: t.launchTemplateName,
    VersionNumber: v.versionNumber,
    VersionDescription: v.versionDescription,
    CreateTime: new Date(v.createdAt),
    CreatedBy: v.createdBy,
    DefaultVersion: v.versionNumber === t.defaultVersion,
    LaunchTemplateData: v.data,
  };
}

/** Finds a template by id or name (exactly one must be given), with EC2's errors. */
export function findLaunchTemplate(
  state: Ec2State,
  spec: { LaunchTemplateId?: string; LaunchTemplateName?: string },
): LaunchTemplateRecord {
  const id = spec.LaunchTemplateId;
  const name = spec.LaunchTemplateName;
  if (id && name) {
    throw ec2Error(
      'InvalidParameterCombination',
      'Specify either the launch template ID or name, not both.',
    );
  }
  if (id) {
    if (!/^lt-[0-9a-f]{17}$/.test(id)) {
      throw ec2Error(
        'InvalidLaunchTemplateId.Malformed',
        `The launch template ID '${id}' is malformed.`,
      );
    }
    const t = state.launchTemplates[id];
    if (!t) {
      throw ec2Error(
        'InvalidLaunchTemplateId.NotFound',
        `The specified launch template, with template ID ${id}, does not exist.`,
      );
    }
    return t;
  }
  if (name) {
    const t = Object.values(state.launchTemplates).find((x) => x.launchTemplateName === name);
    if (!t) {
      throw ec2Error(
        'InvalidLaunchTemplateName.NotFoundException',
        `The specified launch template, with template name ${name}, does not exist.`,
      );
    }
    return t;
  }
  throw missing('LaunchTemplateId or LaunchTemplateName');
}

/** Resolves `$Latest`, `$Default` or a number to a version, with EC2's errors. */
export function findVersion(
  t: LaunchTemplateRecord,
  version: string | undefined,
): LaunchTemplateVersionRecord {
  const wanted =
    version === undefined || version === '' || version === '$Default'
      ? t.defaultVersion
      : version === '$Latest'
        ? t.latestVersion
        : Number(version);
  if (!Number.isInteger(wanted) || wanted < 1) {
    throw ec2Error(
      'InvalidLaunchTemplateId.VersionNotFound',
      `Could not find launch template version ${String(version)} for template ${t.launchTemplateId}.`,
    );
  }
  const v = t.versions.find((x) => x.versionNumber === wanted);
  if (!v) {
    throw ec2Error(
      'InvalidLaunchTemplateId.VersionNotFound',
      `Could not find launch template version ${wanted} for template ${t.launchTemplateId}.`,
    );
  }
  return v;
}

function templateData(input: Record<string, unknown>): Record<string, unknown> {
  const data = input.LaunchTemplateData;
  if (!data || typeof data !== 'object') throw missing('LaunchTemplateData');
  const d = data as Record<string, unknown>;
  if (typeof d.UserData === 'string' && d.UserData !== '') {
    if (!/^[A-Za-z0-9+/=\s]*$/.test(d.UserData)) {
      throw ec2Error('InvalidUserData.Malformed', 'User data must be base64 encoded.');
    }
    if (Buffer.from(d.UserData, 'base64').length > 16384) {
      throw ec2Error('InvalidUserData.Malformed', 'User data is limited to 16384 bytes.');
    }
  }
  return d;
}

export function createLaunchTemplate(call: Call, cloud: Cloud, state: Ec2State): Out {
  const name = optString(call.input, 'LaunchTemplateName');
  if (!name) throw missing('LaunchTemplateName');
  if (!NAME_RE.test(name)) {
    throw ec2Error(
      'InvalidLaunchTemplateName.MalformedException',
      `The launch template name '${name}' is invalid: 3 to 128 characters of letters, digits and ( ) . - / _.`,
    );
  }
  const data = templateData(call.input);
  const tags = readTagSpecifications(call.input, ['launch-template'])['launch-template'];
  const arn = ec2Arn(call, 'launch-template', '*');
  authorizeAll(call, cloud, [
    { arn, context: requestTagContext(tags) },
    ...createTagsCheck(arn, tags, 'CreateLaunchTemplate'),
  ]);
  const now = cloud.now();
  const previous = recall<{ launchTemplateId: string }>(state, call, now);
  const prior = previous && state.launchTemplates[previous.launchTemplateId];
  if (prior) return Promise.resolve({ LaunchTemplate: templateShape(state, prior) });
  if (Object.values(state.launchTemplates).some((t) => t.launchTemplateName === name)) {
    throw ec2Error(
      'InvalidLaunchTemplateName.AlreadyExistsException',
      `Launch template name already in use.`,
    );
  }
  const t: LaunchTemplateRecord = {
    launchTemplateId: newId('lt'),
    launchTemplateName: name,
    createdAt: now,
    createdBy: call.caller.arn,
    defaultVersion: 1,
    latestVersion: 1,
    versions: [
      {
        versionNumber: 1,
        versionDescription: optString(call.input, 'VersionDescription'),
        createdAt: now,
        createdBy: call.caller.arn,
        data,
      },
    ],
  };
  state.launchTemplates[t.launchTemplateId] = t;
  if (tags) state.tags[t.launchTemplateId] = tags;
  remember(state, call, { launchTemplateId: t.launchTemplateId }, now);
  return Promise.resolve({ LaunchTemplate: templateShape(state, t) });
}

function templateCheck(call: Call, state: Ec2State, t: LaunchTemplateRecord) {
  return {
    arn: ec2Arn(call, 'launch-template', t.launchTemplateId),
    context: resourceTagContext(state.tags[t.launchTemplateId]),
  };
}

/**
 * Authorizes the action on the template the request names, then looks it up: a caller without
 * permission gets UnauthorizedOperation for a template that does not exist too (checked by
 * its id's ARN, or `launch-template/*` for an unknown name), as EC2 answers.
 */
function authorizedTemplate(call: Call, cloud: Cloud, state: Ec2State): LaunchTemplateRecord {
  const id = optString(call.input, 'LaunchTemplateId');
  const name = optString(call.input, 'LaunchTemplateName');
  if (id === undefined || name === undefined) {
    const found = id
      ? state.launchTemplates[id]
      : Object.values(state.launchTemplates).find((x) => x.launchTemplateName === name);
    if (found) authorizeChecks(call, cloud, [templateCheck(call, state, found)]);
    else if (id && /^lt-[0-9a-f]{17}$/.test(id))
      authorizeChecks(call, cloud, [{ arn: ec2Arn(call, 'launch-template', id) }]);
    else if (name) authorizeChecks(call, cloud, [{ arn: ec2Arn(call, 'launch-template', '*') }]);
  }
  return findLaunchTemplate(state, call.input);
}

export function createLaunchTemplateVersion(call: Call, cloud: Cloud, state: Ec2State): Out {
  const t = authorizedTemplate(call, cloud, state);
  const data = templateData(call.input);
  endDryRun(call);
  const now = cloud.now();
  const previous = recall<{ launchTemplateId: string; versionNumber: number }>(state, call, now);
  if (previous) {
    const v = t.versions.find((x) => x.versionNumber === previous.versionNumber);
    if (v) return Promise.resolve({ LaunchTemplateVersion: versionShape(t, v) });
  }
  const source = optString(call.input, 'SourceVersion');
  const base = source ? findVersion(t, source).data : {};
  const v: LaunchTemplateVersionRecord = {
    versionNumber: t.latestVersion + 1,
    versionDescription: optString(call.input, 'VersionDescription'),
    createdAt: now,
    createdBy: call.caller.arn,
    data: { ...base, ...data },
  };
  t.versions.push(v);
  t.latestVersion = v.versionNumber;
  remember(
    state,
    call,
    { launchTemplateId: t.launchTemplateId, versionNumber: v.versionNumber },
    now,
  );
  return Promise.resolve({ LaunchTemplateVersion: versionShape(t, v) });
}

export function describeLaunchTemplates(call: Call, cloud: Cloud, state: Ec2State): Out {
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const ids = optStrings(call.input, 'LaunchTemplateIds');
  const names = optStrings(call.input, 'LaunchTemplateNames');
  for (const id of ids) findLaunchTemplate(state, { LaunchTemplateId: id });
  for (const name of names) {
    if (!Object.values(state.launchTemplates).some((t) => t.launchTemplateName === name)) {
      throw ec2Error(
        'InvalidLaunchTemplateName.NotFoundException',
        'At least one of the launch templates specified in the request does not exist.',
      );
    }
  }
  const filters = readFilters(call.input);
  const rows = Object.values(state.launchTemplates)
    .filter((t) => ids.length === 0 || ids.includes(t.launchTemplateId))
    .filter((t) => names.length === 0 || names.includes(t.launchTemplateName))
    .filter((t) =>
      matchesFilters(filters, (name) => {
        const tf = tagFilterValues(name, state.tags[t.launchTemplateId] ?? {});
        if (tf) return tf;
        if (name === 'launch-template-name') return [t.launchTemplateName];
        if (name === 'create-time') return [new Date(t.createdAt).toISOString()];
        return undefined;
      }),
    )
    .map((t) => templateShape(state, t));
  const { page, nextToken } = paginate(rows, call.input, { min: 1, max: 200 });
  return Promise.resolve({ LaunchTemplates: page, ...(nextToken ? { NextToken: nextToken } : {}) });
}

export function describeLaunchTemplateVersions(call: Call, cloud: Cloud, state: Ec2State): Out {
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const versions = optStrings(call.input, 'Versions');
  const hasTemplate = Boolean(
    optString(call.input, 'LaunchTemplateId') ?? optString(call.input, 'LaunchTemplateName'),
  );
  const templates = hasTemplate
    ? [findLaunchTemplate(state, call.input)]
    : Object.values(state.launchTemplates);
  if (!hasTemplate && versions.some((v) => !v.startsWith('$'))) {
    throw ec2Error(
      'InvalidParameterCombination',
      'Version numbers require a launch template ID or name.',
    );
  }
  const min = call.input.MinVersion !== undefined ? Number(call.input.MinVersion) : undefined;
  const max = call.input.MaxVersion !== undefined ? Number(call.input.MaxVersion) : undefined;
  const filters = readFilters(call.input);
  const rows: Record<string, unknown>[] = [];
  for (const t of templates) {
    const chosen = versions.length > 0 ? versions.map((v) => findVersion(t, v)) : t.versions;
    for (const v of chosen) {
      if (min !== undefined && v.versionNumber < min) continue;
      if (max !== undefined && v.versionNumber > max) continue;
      const ok = matchesFilters(filters, (name) => {
        const d = v.data;
        switch (name) {
          case 'is-default-version':
            return [String(v.versionNumber === t.defaultVersion)];
          case 'image-id':
            return typeof d.ImageId === 'string' ? [d.ImageId] : [];
          case 'instance-type':
            return typeof d.InstanceType === 'string' ? [d.InstanceType] : [];
          case 'create-time':
            return [new Date(v.createdAt).toISOString()];
          default:
            return undefined;
        }
      });
      if (ok) rows.push(versionShape(t, v));
    }
  }
  const { page, nextToken } = paginate(rows, call.input, { min: 1, max: 200 });
  return Promise.resolve({
    LaunchTemplateVersions: page,
    ...(nextToken ? { NextToken: nextToken } : {}),
  });
}

export function modifyLaunchTemplate(call: Call, cloud: Cloud, state: Ec2State): Out {
  const t = authorizedTemplate(call, cloud, state);
  const wanted = optString(call.input, 'DefaultVersion');
  const v = wanted !== undefined ? findVersion(t, wanted) : undefined;
  endDryRun(call);
  if (v) t.defaultVersion = v.versionNumber;
  return Promise.resolve({ LaunchTemplate: templateShape(state, t) });
}

export function deleteLaunchTemplate(call: Call, cloud: Cloud, state: Ec2State): Out {
  const t = authorizedTemplate(call, cloud, state);
  endDryRun(call);
  const shape = templateShape(state, t);
  delete state.launchTemplates[t.launchTemplateId];
  delete state.tags[t.launchTemplateId];
  return Promise.resolve({ LaunchTemplate: shape });
}

export function deleteLaunchTemplateVersions(call: Call, cloud: Cloud, state: Ec2State): Out {
  const t = authorizedTemplate(call, cloud, state);
  const versions = optStrings(call.input, 'Versions');
  if (versions.length === 0) throw missing('LaunchTemplateVersion');
  endDryRun(call);
  const ok: Record<string, unknown>[] = [];
  const failed: Record<string, unknown>[] = [];
  for (const raw of versions) {
    const n = Number(raw);
    const base = {
      LaunchTemplateId: t.launchTemplateId,
      LaunchTemplateName: t.launchTemplateName,
      VersionNumber: n,
    };
    const v = t.versions.find((x) => x.versionNumber === n);
    if (!v) {
      failed.push({
        ...base,
        ResponseError: {
          Code: 'launchTemplateVersionDoesNotExist',
          Message: `Launch template version ${raw} does not exist.`,
        },
      });
    } else if (n === t.defaultVersion) {
      failed.push({
        ...base,
        ResponseError: {
          Code: 'launchTemplateVersionIsDefault',
          Message: 'The default version of a launch template cannot be deleted.',
        },
      });
    } else {
      t.versions = t.versions.filter((x) => x.versionNumber !== n);
      ok.push(base);
    }
  }
  return Promise.resolve({
    SuccessfullyDeletedLaunchTemplateVersions: ok,
    UnsuccessfullyDeletedLaunchTemplateVersions: failed,
  });
}
