import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { answerPhoneHome, type CustomResourceRequest } from './phone-home.ts';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A ResponseURL endpoint that answers each PUT with the next of `answers` ('reset' drops it). */
async function responseUrl(answers: (number | 'reset')[], bodies: string[]): Promise<string> {
  server = createServer((req, res) => {
    const answer = answers.shift() ?? 200;
    if (answer === 'reset') {
      req.socket.destroy();
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`;
}

const request = (url: string): CustomResourceRequest => ({
  RequestType: 'Create',
  ResponseURL: url,
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/ferry/1',
  RequestId: 'r-1',
  LogicalResourceId: 'PhoneHomeNetwork',
  ResourceType: 'Custom::FerryPhoneHome',
  ResourceProperties: {},
});

describe('answering a phone-home custom resource', () => {
  it('retries a dropped connection and a 5xx until the answer is taken', async () => {
    const bodies: string[] = [];
    const url = await responseUrl(['reset', 503], bodies);
    await answerPhoneHome(request(url), { status: 'SUCCESS', stage: 'Network', connected: false });
    // The 503 and the accepted PUT carried the same answer; the reset one never arrived.
    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toBe(bodies[1]);
    expect(JSON.parse(bodies[1]!)).toMatchObject({ Status: 'SUCCESS', Data: { Stage: 'Network' } });
  });

  it('gives up at once on a 4xx (a presigned URL that expired stays expired)', async () => {
    const bodies: string[] = [];
    const url = await responseUrl([403], bodies);
    await expect(
      answerPhoneHome(request(url), { status: 'SUCCESS', stage: 'Network', connected: false }),
    ).rejects.toThrow('HTTP 403');
    expect(bodies).toHaveLength(1);
  });
});
