/** Writes docs/aws-permissions.md from the permission registry. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PERMISSIONS_DOC_PATH, renderPermissionsDoc } from '../src/permissions-doc.ts';

const target = fileURLToPath(new URL(`../../../${PERMISSIONS_DOC_PATH}`, import.meta.url));
writeFileSync(target, renderPermissionsDoc());
console.log(`wrote ${PERMISSIONS_DOC_PATH}`);
