/** IPv4 / IPv6 addresses and CIDR blocks for the IpAddress and NotIpAddress operators. */

/** An address or network: `bits` leading bits of `value` are significant. */
export interface IpNetwork {
  version: 4 | 6;
  value: bigint;
  bits: number;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  if (text.includes('%')) return undefined;
  let groups: string[];
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseHalf = (half: string): string[] | undefined => {
    if (half === '') return [];
    const g = half.split(':');
    // An embedded IPv4 address takes the place of the last two groups.
    const last = g[g.length - 1]!;
    if (last.includes('.')) {
      const v4 = parseIpv4(last);
      if (v4 === undefined) return undefined;
      g.splice(g.length - 1, 1, ((v4 >> 16n) & 0xffffn).toString(16), (v4 & 0xffffn).toString(16));
    }
    return g;
  };
  if (halves.length === 2) {
    const head = parseHalf(halves[0]!);
    const tail = parseHalf(halves[1]!);
    if (!head || !tail) return undefined;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  } else {
    const all = parseHalf(text);
    if (!all) return undefined;
    groups = all;
  }
  if (groups.length !== 8) return undefined;
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  return value;
}

/** Parses `1.2.3.4`, `10.0.0.0/8`, `2001:db8::1` or `2001:db8::/32`; undefined if malformed. */
export function parseIpNetwork(text: string): IpNetwork | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const prefix = slash < 0 ? undefined : text.slice(slash + 1);
  const version: 4 | 6 = address.includes(':') ? 6 : 4;
  const value = version === 4 ? parseIpv4(address) : parseIpv6(address);
  if (value === undefined) return undefined;
  const max = version === 4 ? 32 : 128;
  let bits = max;
  if (prefix !== undefined) {
    if (!/^\d{1,3}$/.test(prefix)) return undefined;
    bits = Number(prefix);
    if (bits > max) return undefined;
  }
  return { version, value, bits };
}

/** True if the address `ip` lies inside `network`. */
export function ipInNetwork(network: IpNetwork, ip: IpNetwork): boolean {
  if (network.version !== ip.version) return false;
  const width = BigInt(network.version === 4 ? 32 : 128);
  const shift = width - BigInt(network.bits);
  return ip.value >> shift === network.value >> shift;
}
