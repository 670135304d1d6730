/** Installs the /api/v1 routes on the app. */
import type { FastifyInstance } from 'fastify';
import type { Resources } from '../resources.ts';

/** Registers every API route, its hooks and error handling. */
export async function installApi(_app: FastifyInstance, _resources: Resources): Promise<void> {}
