/**
 * The dashboard's public entry point for the processes that serve it: where its built
 * assets are, and the build that keeps them current. The dashboard itself lives in `web/`.
 */
export {
  DASHBOARD_ASSETS_DIR,
  ensureDashboardBuilt,
  isDashboardCurrent,
} from './build-dashboard.ts';
