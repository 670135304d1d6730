/** Internet gateways, route tables, routes and associations. */
import type { Call, Cloud } from '../../core/contract.ts';
import { authorizeAll, ec2Arn, requestTagContext, resourceTagContext } from './authorize.ts';
import { parseCidr } from './cidr.ts';
import { ec2Error, notFound, optString, optStrings, requireString } from './errors.ts';
import { matchesFilters, readFilters, tagFilterValues } from './filters.ts';
import { newId } from './ids.ts';
import { paginate } from './pagination.ts';
import type { Ec2State, InternetGatewayRecord, RouteTableRecord } from './state.ts';
import { createTagsCheck, readTagSpecifications, tagListOrUndefined } from './tags.ts';
import { getSubnet, getVpc } from './vpcs.ts';

type Out = Promise<Record<string, unknown>>;

function getIgw(state: Ec2State, id: string): InternetGatewayRecord {
  const igw = state.internetGateways[id];
  if (!igw) throw notFound('InvalidInternetGatewayID.NotFound', 'internetGateway ID', id);
  return igw;
}

function getRouteTable(state: Ec2State, id: string): RouteTableRecord {
  const rt = state.routeTables[id];
  if (!rt) throw notFound('InvalidRouteTableID.NotFound', 'routeTable ID', id);
  return rt;
}

function igwShape(call: Call, state: Ec2State, g: InternetGatewayRecord): Record<string, unknown> {
  return {
    InternetGatewayId: g.internetGatewayId,
    OwnerId: call.caller.accountId,
    Attachments: g.attachedVpcId ? [{ State: 'available', VpcId: g.attachedVpcId }] : [],
    Tags: tagListOrUndefined(state.tags[g.internetGatewayId]),
  };
}

function rtShape(call: Call, state: Ec2State, r: RouteTableRecord): Record<string, unknown> {
  return {
    RouteTableId: r.routeTableId,
    VpcId: r.vpcId,
    OwnerId: call.caller.accountId,
    PropagatingVgws: [],
    Routes: r.routes.map((x) => ({
      DestinationCidrBlock: x.destinationCidrBlock,
      GatewayId: x.gatewayId,
      Origin: x.origin,
      State:
        x.gatewayId === 'local' || state.internetGateways[x.gatewayId]?.attachedVpcId === r.vpcId
          ? 'active'
          : 'blackhole',
    })),
    Associations: r.associations.map((a) => ({
      Main: a.main,
      RouteTableAssociationId: a.associationId,
      RouteTableId: r.routeTableId,
      SubnetId: a.subnetId,
      AssociationState: { State: 'associated' },
    })),
    Tags: tagListOrUndefined(state.tags[r.routeTableId]),
  };
}

export function createInternetGateway(call: Call, cloud: Cloud, state: Ec2State): Out {
  const tags = readTagSpecifications(call.input, ['internet-gateway'])['internet-gateway'];
  const arn = ec2Arn(call, 'internet-gateway', '*');
  authorizeAll(call, cloud, [
    { arn, context: requestTagContext(tags) },
    ...createTagsCheck(arn, tags, 'CreateInternetGateway'),
  ]);
  const g: InternetGatewayRecord = { internetGatewayId: newId('igw') };
  state.internetGateways[g.internetGatewayId] = g;
  if (tags) state.tags[g.internetGatewayId] = tags;
  return Promise.resolve({ InternetGateway: igwShape(call, state, g) });
}

export function describeInternetGateways(call: Call, cloud: Cloud, state: Ec2State): Out {
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const ids = optStrings(call.input, 'InternetGatewayIds');
  for (const id of ids) getIgw(state, id);
  const filters = readFilters(call.input);
  const out = Object.values(state.internetGateways)
    .filter((g) => ids.length === 0 || ids.includes(g.internetGatewayId))
    .filter((g) =>
      matchesFilters(filters, (name) => {
        const t = tagFilterValues(name, state.tags[g.internetGatewayId] ?? {});
        if (t) return t;
        switch (name) {
          case 'internet-gateway-id':
            return [g.internetGatewayId];
          case 'attachment.vpc-id':
            return g.attachedVpcId ? [g.attachedVpcId] : [];
          case 'attachment.state':
            return g.attachedVpcId ? ['available'] : [];
          case 'owner-id':
            return [call.caller.accountId];
          default:
            return undefined;
        }
      }),
    )
    .map((g) => igwShape(call, state, g));
  const { page, nextToken } = paginate(out, call.input, { min: 5, max: 1000 });
  return Promise.resolve({
    InternetGateways: page,
    ...(nextToken ? { NextToken: nextToken } : {}),
  });
}

export function deleteInternetGateway(call: Call, cloud: Cloud, state: Ec2State): Out {
  const id = requireString(call.input, 'InternetGatewayId');
  const g = getIgw(state, id);
  authorizeAll(call, cloud, [
    { arn: ec2Arn(call, 'internet-gateway', id), context: resourceTagContext(state.tags[id]) },
  ]);
  if (g.attachedVpcId) {
    throw ec2Error(
      'DependencyViolation',
      `The internetGateway '${id}' has dependencies and cannot be deleted.`,
    );
  }
  delete state.internetGateways[id];
  delete state.tags[id];
  return Promise.resolve({});
}

export function attachInternetGateway(call: Call, cloud: Cloud, state: Ec2State): Out {
  const id = requireString(call.input, 'InternetGatewayId');
  const vpcId = requireString(call.input, 'VpcId');
  const g = getIgw(state, id);
  getVpc(state, vpcId);
  authorizeAll(call, cloud, [
    { arn: ec2Arn(call, 'internet-gateway', id), context: resourceTagContext(state.tags[id]) },
    { arn: ec2Arn(call, 'vpc', vpcId), context: resourceTagContext(state.tags[vpcId]) },
  ]);
  if (g.attachedVpcId) {
    throw ec2Error(
      'Resource.AlreadyAssociated',
      `resource ${id} is already attached to network ${g.attachedVpcId}`,
    );
  }
  if (Object.values(state.internetGateways).some((x) => x.attachedVpcId === vpcId)) {
    throw ec2Error(
      'InvalidParameterValue',
      `Network ${vpcId} already has an internet gateway attached`,
    );
  }
  g.attachedVpcId = vpcId;
  return Promise.resolve({});
}

export function detachInternetGateway(call: Call, cloud: Cloud, state: Ec2State): Out {
  const id = requireString(call.input, 'InternetGatewayId');
  const vpcId = requireString(call.input, 'VpcId');
  const g = getIgw(state, id);
  getVpc(state, vpcId);
  authorizeAll(call, cloud, [
    { arn: ec2Arn(call, 'internet-gateway', id), context: resourceTagContext(state.tags[id]) },
    { arn: ec2Arn(call, 'vpc', vpcId), context: resourceTagContext(state.tags[vpcId]) },
  ]);
  if (g.attachedVpcId !== vpcId) {
    throw ec2Error('Gateway.NotAttached', `resource ${id} is not attached to network ${vpcId}`);
  }
  delete g.attachedVpcId;
  return Promise.resolve({});
}

export function createRouteTable(call: Call, cloud: Cloud, state: Ec2State): Out {
  const vpcId = requireString(call.input, 'VpcId');
  const vpc = getVpc(state, vpcId);
  const tags = readTagSpecifications(call.input, ['route-table'])['route-table'];
  const arn = ec2Arn(call, 'route-table', '*');
  authorizeAll(call, cloud, [
    { arn, context: requestTagContext(tags) },
    { arn: ec2Arn(call, 'vpc', vpcId), context: resourceTagContext(state.tags[vpcId]) },
    ...createTagsCheck(arn, tags, 'CreateRouteTable'),
  ]);
  const r: RouteTableRecord = {
    routeTableId: newId('rtb'),
    vpcId,
    routes: [
      { destinationCidrBlock: vpc.cidrBlock, gatewayId: 'local', origin: 'CreateRouteTable' },
    ],
    associations: [],
  };
  state.routeTables[r.routeTableId] = r;
  if (tags) state.tags[r.routeTableId] = tags;
  return Promise.resolve({ RouteTable: rtShape(call, state, r) });
}

export function describeRouteTables(call: Call, cloud: Cloud, state: Ec2State): Out {
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const ids = optStrings(call.input, 'RouteTableIds');
  for (const id of ids) getRouteTable(state, id);
  const filters = readFilters(call.input);
  const out = Object.values(state.routeTables)
    .filter((r) => ids.length === 0 || ids.includes(r.routeTableId))
    .filter((r) =>
      matchesFilters(filters, (name) => {
        const t = tagFilterValues(name, state.tags[r.routeTableId] ?? {});
        if (t) return t;
        switch (name) {
          case 'route-table-id':
            return [r.routeTableId];
          case 'vpc-id':
            return [r.vpcId];
          case 'association.main':
            return r.associations.some((a) => a.main) ? ['true'] : ['false'];
          case 'association.subnet-id':
            return r.associations.flatMap((a) => (a.subnetId ? [a.subnetId] : []));
          case 'association.route-table-association-id':
            return r.associations.map((a) => a.associationId);
          case 'route.gateway-id':
            return r.routes.map((x) => x.gatewayId);
          case 'route.destination-cidr-block':
            return r.routes.map((x) => x.destinationCidrBlock);
          case 'owner-id':
            return [call.caller.accountId];
          default:
            return undefined;
        }
      }),
    )
    .map((r) => rtShape(call, state, r));
  const { page, nextToken } = paginate(out, call.input, { min: 5, max: 100 });
  return Promise.resolve({ RouteTables: page, ...(nextToken ? { NextToken: nextToken } : {}) });
}

export function deleteRouteTable(call: Call, cloud: Cloud, state: Ec2State): Out {
  const id = requireString(call.input, 'RouteTableId');
  const r = getRouteTable(state, id);
  authorizeAll(call, cloud, [
    { arn: ec2Arn(call, 'route-table', id), context: resourceTagContext(state.tags[id]) },
  ]);
  if (r.associations.length > 0) {
    throw ec2Error(
      'DependencyViolation',
      `The routeTable '${id}' has dependencies and cannot be deleted.`,
    );
  }
  delete state.routeTables[id];
  delete state.tags[id];
  return Promise.resolve({});
}

export function createRoute(call: Call, cloud: Cloud, state: Ec2State): Out {
  const id = requireString(call.input, 'RouteTableId');
  const dest = requireString(call.input, 'DestinationCidrBlock');
  const r = getRouteTable(state, id);
  if (!parseCidr(dest)) {
    throw ec2Error(
      'InvalidParameterValue',
      `Value (${dest}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.`,
    );
  }
  const gatewayId = optString(call.input, 'GatewayId');
  if (!gatewayId) {
    throw ec2Error(
      'InvalidParameterCombination',
      'No route target was specified (GatewayId is the only target localcloud supports).',
    );
  }
  getIgw(state, gatewayId);
  authorizeAll(call, cloud, [
    { arn: ec2Arn(call, 'route-table', id), context: resourceTagContext(state.tags[id]) },
  ]);
  if (r.routes.some((x) => x.destinationCidrBlock === dest)) {
    throw ec2Error('RouteAlreadyExists', `The route identified by ${dest} already exists.`);
  }
  r.routes.push({ destinationCidrBlock: dest, gatewayId, origin: 'CreateRoute' });
  return Promise.resolve({ Return: true });
}

export function deleteRoute(call: Call, cloud: Cloud, state: Ec2State): Out {
  const id = requireString(call.input, 'RouteTableId');
  const dest = requireString(call.input, 'DestinationCidrBlock');
  const r = getRouteTable(state, id);
  authorizeAll(call, cloud, [
    { arn: ec2Arn(call, 'route-table', id), context: resourceTagContext(state.tags[id]) },
  ]);
  const idx = r.routes.findIndex((x) => x.destinationCidrBlock === dest && x.gatewayId !== 'local');
  if (idx < 0) {
    throw ec2Error(
      'InvalidRoute.NotFound',
      `no route with destination-cidr-block ${dest} in route table ${id}`,
    );
  }
  r.routes.splice(idx, 1);
  return Promise.resolve({});
}

export function associateRouteTable(call: Call, cloud: Cloud, state: Ec2State): Out {
  const id = requireString(call.input, 'RouteTableId');
  const subnetId = requireString(call.input, 'SubnetId');
  const r = getRouteTable(state, id);
  const subnet = getSubnet(state, subnetId);
  if (subnet.vpcId !== r.vpcId) {
    throw ec2Error(
      'InvalidParameterValue',
      `Route table ${id} and subnet ${subnetId} belong to different networks`,
    );
  }
  authorizeAll(call, cloud, [
    { arn: ec2Arn(call, 'route-table', id), context: resourceTagContext(state.tags[id]) },
    { arn: ec2Arn(call, 'subnet', subnetId), context: resourceTagContext(state.tags[subnetId]) },
  ]);
  if (
    Object.values(state.routeTables).some((t) =>
      t.associations.some((a) => a.subnetId === subnetId),
    )
  ) {
    throw ec2Error(
      'Resource.AlreadyAssociated',
      `the specified association for route table ${id} conflicts with an existing association`,
    );
  }
  const associationId = newId('rtbassoc');
  r.associations.push({ associationId, subnetId, main: false });
  return Promise.resolve({
    AssociationId: associationId,
    AssociationState: { State: 'associated' },
  });
}

export function disassociateRouteTable(call: Call, cloud: Cloud, state: Ec2State): Out {
  const associationId = requireString(call.input, 'AssociationId');
  const r = Object.values(state.routeTables).find((t) =>
    t.associations.some((a) => a.associationId === associationId),
  );
  if (!r) {
    throw ec2Error(
      'InvalidAssociationID.NotFound',
      `The association ID '${associationId}' does not exist`,
    );
  }
  authorizeAll(call, cloud, [
    {
      arn: ec2Arn(call, 'route-table', r.routeTableId),
      context: resourceTagContext(state.tags[r.routeTableId]),
    },
  ]);
  const a = r.associations.find((x) => x.associationId === associationId);
  if (a?.main) {
    throw ec2Error(
      'InvalidParameterValue',
      'The main route table association cannot be disassociated.',
    );
  }
  r.associations = r.associations.filter((x) => x.associationId !== associationId);
  return Promise.resolve({});
}
