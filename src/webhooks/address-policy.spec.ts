import type { LookupAddress } from 'node:dns';
import { addressBytes, forbiddenAddressReason, guardedLookup, refuseUrlReason } from './address-policy.js';

describe('forbiddenAddressReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.10', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared (carrier-grade NAT)'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd12:3456::1', 'private (unique local)'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:c0a8:0101::1', 'private'],
    ['64:ff9b:1::808:808', 'NAT64 (local use)'],
    ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', 'NAT64 (local use)'],
  ])('refuses %s (%s)', (ip, why) => {
    expect(forbiddenAddressReason(ip)).toBe(why);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '64:ff9b:2::808:808'])('allows the public address %s', (ip) => {
    expect(forbiddenAddressReason(ip)).toBeUndefined();
  });

  it('refuses what is not an address at all', () => {
    expect(forbiddenAddressReason('example.com')).toBe('unparseable');
  });
});

describe('addressBytes', () => {
  it('expands IPv6 shorthand and maps IPv4', () => {
    expect(Array.from(addressBytes('1::2')!)).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(Array.from(addressBytes('1.2.3.4')!)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 1, 2, 3, 4]);
  });
});

describe('refuseUrlReason', () => {
  const resolver = (table: Record<string, string[]>) => async (host: string) => {
    if (!(host in table)) throw new Error('ENOTFOUND');
    return table[host];
  };

  it('judges literal addresses without resolving them', async () => {
    const never = async () => {
      throw new Error('must not resolve');
    };
    expect(await refuseUrlReason(new URL('http://127.0.0.1:9/x'), never)).toBe('127.0.0.1 is a loopback address');
    expect(await refuseUrlReason(new URL('http://[::1]/x'), never)).toBe('::1 is a loopback address');
    expect(await refuseUrlReason(new URL('https://93.184.215.14/x'), never)).toBeUndefined();
  });

  it('refuses a name when any of its addresses is forbidden', async () => {
    const resolve = resolver({ 'mixed.test': ['93.184.215.14', '10.0.0.5'], 'public.test': ['93.184.215.14'] });
    expect(await refuseUrlReason(new URL('https://mixed.test/hook'), resolve)).toBe('mixed.test resolves to a private address (10.0.0.5)');
    expect(await refuseUrlReason(new URL('https://public.test/hook'), resolve)).toBeUndefined();
    expect(await refuseUrlReason(new URL('https://nowhere.test/hook'), resolve)).toBe('nowhere.test does not resolve');
  });
});

describe('guardedLookup', () => {
  function lookup(host: string, options: { all?: boolean }): Promise<{ err: NodeJS.ErrnoException | null; result: unknown }> {
    return new Promise((resolve) => {
      guardedLookup(host, options, (err: NodeJS.ErrnoException | null, address: string | LookupAddress[]) => resolve({ err, result: address }));
    });
  }

  it('refuses a name that resolves to loopback, whichever way the socket asks', async () => {
    for (const options of [{}, { all: true }]) {
      const { err } = await lookup('localhost', options);
      expect(err?.code).toBe('EFORBIDDENADDRESS');
      expect(err?.message).toMatch(/^localhost resolves to a loopback address/);
    }
  });
});
