import type { IncomingMessage } from 'node:http';
import express from 'express';
import { clientAddress } from './client-address.js';

function request(remoteAddress: string, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } } as unknown as IncomingMessage;
}

/** The same setting compiled by Express, as the app does with TRUST_PROXY. */
function trust(setting: boolean | number | string) {
  const app = express();
  app.set('trust proxy', setting);
  return app.get('trust proxy fn');
}

describe('clientAddress', () => {
  it('is the socket peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress(request('10.0.0.5', '203.0.113.7'), trust(false))).toBe('10.0.0.5');
  });

  it('walks X-Forwarded-For from the nearest hop while the hop is trusted', () => {
    expect(clientAddress(request('127.0.0.1', '198.51.100.1, 203.0.113.7'), trust('loopback'))).toBe('203.0.113.7');
    expect(clientAddress(request('127.0.0.1', '198.51.100.1, 203.0.113.7'), trust(true))).toBe('198.51.100.1');
    expect(clientAddress(request('127.0.0.1', '198.51.100.1, 203.0.113.7'), trust(1))).toBe('203.0.113.7');
    expect(clientAddress(request('10.0.0.5', '203.0.113.7'), trust('loopback'))).toBe('10.0.0.5');
  });

  it('is the socket peer when a trusted proxy forwarded nothing', () => {
    expect(clientAddress(request('127.0.0.1'), trust('loopback'))).toBe('127.0.0.1');
  });
});
