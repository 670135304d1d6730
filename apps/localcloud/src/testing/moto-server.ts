/**
 * `moto_server` as a child process on a free loopback port: the oracle of differential tests.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface MotoServer {
  url: string;
  stop(): Promise<void>;
}

/** Starts moto_server and waits until it answers; fails naming the missing tool otherwise. */
export async function startMotoServer(timeoutMs = 20_000): Promise<MotoServer> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) =>
      reject(
        new Error(
          `moto_server could not start (install it with: pip install "moto[server]"): ${err.message}`,
        ),
      ),
    ),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  const ready = (async () => {
    for (;;) {
      try {
        const res = await fetch(`${url}/moto-api/`);
        await res.arrayBuffer();
        return;
      } catch {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`moto_server did not start on ${url}: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  })();
  await Promise.race([ready, spawnError]);
  return {
    url,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
