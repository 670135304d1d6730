/** Routes of localcloud's console: the CloudFormation quick-create page and its API. */
import type { Route } from '../core/contract.ts';
import { handleConsoleApi } from './console-api.ts';
import { quickCreatePage } from './quick-create-page.ts';

const API = '/console/cloudformation/api/';

export const consoleRoutes: Route[] = [
  {
    method: 'GET',
    pathPrefix: '/console/cloudformation/quickcreate',
    handle(request) {
      const q = request.query;
      const templateURL = q.get('templateURL') ?? q.get('templateUrl') ?? '';
      if (templateURL === '') {
        return Promise.resolve({
          status: 400,
          headers: { 'content-type': 'text/plain' },
          body: 'templateURL is required',
        });
      }
      const parameters: Record<string, string> = {};
      for (const [key, value] of q)
        if (key.startsWith('param_')) parameters[key.slice('param_'.length)] = value;
      return Promise.resolve({
        status: 200,
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy':
            "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
        },
        body: quickCreatePage({
          templateURL,
          stackName: q.get('stackName') ?? '',
          region: q.get('region') ?? '',
          parameters,
        }),
      });
    },
  },
  {
    method: 'POST',
    pathPrefix: API,
    handle: (request, cloud) => handleConsoleApi(request, cloud, request.path.slice(API.length)),
  },
];
