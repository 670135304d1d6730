/**
 * Version of the customer template. Bump it whenever the generated template changes, so the
 * platform can tell which stacks need an update.
 */
export const TEMPLATE_VERSION = '1.0.0';
