import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createS3rverBackend } from './s3rver-backend.ts';

describe('s3rver backend', () => {
  it('starts on a free loopback port, stores objects, and removes its temp dir at stop', async () => {
    const backend = createS3rverBackend();
    await backend.start();
    try {
      expect(backend.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const send = (method: string, path: string, body = '', query = '') =>
        backend.send({
          method,
          path,
          query: new URLSearchParams(query),
          headers: {},
          body: Buffer.from(body),
        });
      expect((await send('PUT', '/bucket-one')).status).toBe(200);
      expect((await send('PUT', '/bucket-one/dir/a.txt', 'hello')).status).toBe(200);
      const got = await send('GET', '/bucket-one/dir/a.txt');
      expect(got.body.toString()).toBe('hello');
      const listed = await send('GET', '/bucket-one', '', 'list-type=2&delimiter=%2F');
      expect(listed.body.toString()).toContain('<Prefix>dir/</Prefix>');
    } finally {
      await backend.stop();
    }
    expect(existsSync(backend.directory)).toBe(false);
  });
});
