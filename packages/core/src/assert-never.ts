/** Ends an exhaustive switch: the compiler rejects any case left unhandled. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(value)}`);
}
