/** Routes of localcloud's console: the CloudFormation quick-create page and its API. */
import type { RawResponse, Route } from '../core/contract.ts';
import { handleConsoleApi } from './console-api.ts';
import { quickCreatePage } from './quick-create-page.ts';
import type { QuickCreateOptions } from './quick-create-page.ts';

const API = '/console/cloudformation/api/';

function page(options: QuickCreateOptions): RawResponse {
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy':
        "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
    },
    body: quickCreatePage(options),
  };
}

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
      return Promise.resolve(
        page({
          templateURL,
          stackName: q.get('stackName') ?? '',
          region: q.get('region') ?? '',
          parameters,
        }),
      );
    },
  },
  {
    // AWS's link format: the parameters travel in the fragment, which the page reads.
    method: 'GET',
    pathPrefix: '/console/cloudformation/home',
    handle(request) {
      return Promise.resolve(
        page({
          templateURL: '',
          stackName: '',
          region: request.query.get('region') ?? '',
          parameters: {},
        }),
      );
    },
  },
  {
    method: 'POST',
    pathPrefix: API,
    handle: (request, cloud) => handleConsoleApi(request, cloud, request.path.slice(API.length)),
  },
];
