/**
 * Copies the screenshots of the last browser-journey run (`test/e2e/dashboard-journey.test.ts`)
 * into docs/img/dashboard/, replacing the previous set, so the docs always show the
 * dashboard as the test saw it. Run: `npm run docs:screenshots` after the test.
 */
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FROM = join(REPO, '.ferry/screenshots/dashboard');
const TO = join(REPO, 'docs/img/dashboard');

const shots = (await readdir(FROM).catch(() => [] as string[])).filter((f) => f.endsWith('.png'));
if (shots.length === 0) {
  process.stderr.write(
    `No screenshots in ${FROM}: run npx vitest run test/e2e/dashboard-journey.test.ts first.\n`,
  );
  process.exit(1);
}
await rm(TO, { recursive: true, force: true });
await mkdir(TO, { recursive: true });
for (const f of shots.sort()) await copyFile(join(FROM, f), join(TO, f));
process.stdout.write(`copied ${shots.length} screenshots to docs/img/dashboard/\n`);
