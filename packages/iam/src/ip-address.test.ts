import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipInNetwork, parseIpNetwork } from './ip-address.ts';

const inside = (network: string, ip: string): boolean =>
  ipInNetwork(parseIpNetwork(network)!, parseIpNetwork(ip)!);

describe('IP addresses', () => {
  it('parses IPv4 and IPv6 addresses and blocks', () => {
    expect(parseIpNetwork('203.0.113.0/24')).toEqual({ version: 4, value: 0xcb007100n, bits: 24 });
    expect(parseIpNetwork('10.0.0.1')?.bits).toBe(32);
    expect(parseIpNetwork('2001:DB8:1234:5678::/64')?.bits).toBe(64);
    expect(parseIpNetwork('::1')?.value).toBe(1n);
    expect(parseIpNetwork('::ffff:192.0.2.1')?.value).toBe(0xffffc0000201n);
    for (const bad of [
      '256.0.0.1',
      '10.0.0',
      '10.0.0.0/33',
      '2001:db8::/129',
      '1::2::3',
      'x',
      '10.0.0.1/',
    ]) {
      expect(parseIpNetwork(bad), bad).toBeUndefined();
    }
  });

  it('tests membership like the AWS documentation examples', () => {
    // IAM User Guide, IP address condition operators: 203.0.113.0/24.
    expect(inside('203.0.113.0/24', '203.0.113.77')).toBe(true);
    expect(inside('203.0.113.0/24', '203.0.114.1')).toBe(false);
    expect(inside('2001:DB8:1234:5678::/64', '2001:db8:1234:5678::abcd')).toBe(true);
    expect(inside('2001:DB8:1234:5678::/64', '2001:db8:1234:5679::1')).toBe(false);
    expect(inside('0.0.0.0/0', '8.8.8.8')).toBe(true);
    expect(inside('10.0.0.0/8', '2001:db8::1')).toBe(false);
    expect(inside('10.1.2.3', '10.1.2.3')).toBe(true);
  });

  it('property: an address is inside every block built from its own prefix', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (ip, bits) => {
        expect(inside(`${ip}/${bits}`, ip)).toBe(true);
      }),
      { seed: 6, numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), (ip, bits) => {
        expect(inside(`${ip}/${bits}`, ip)).toBe(true);
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
