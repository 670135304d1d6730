/** Request counts and durations by route, method and status. */
import type { FastifyInstance } from 'fastify';
import type { MetricsRegistry } from './metrics-registry.ts';

/** Adds hooks that record every response in the registry. */
export function registerHttpMetrics(app: FastifyInstance, metrics: MetricsRegistry): void {
  const requests = metrics.counter('http_requests_total', 'HTTP requests answered.');
  const duration = metrics.histogram(
    'http_request_duration_seconds',
    'HTTP request duration, in seconds.',
  );
  const inFlight = metrics.gauge('http_requests_in_flight', 'HTTP requests being handled.');
  app.addHook('onRequest', (_request, _reply, done) => {
    inFlight.inc();
    done();
  });
  app.addHook('onResponse', async (request, reply) => {
    inFlight.dec();
    // The route pattern, never the raw URL: ids in paths would explode cardinality.
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
    };
    requests.inc(labels);
    duration.observe(reply.elapsedTime / 1000, labels);
  });
}
