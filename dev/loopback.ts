/** Whether a Host header names this machine: the local servers answer loopback names only. */
import { isIP } from 'node:net';

/** `localhost`, `*.localhost`, 127.0.0.0/8 and ::1, with or without a port. */
export function isLoopbackHost(hostHeader: string): boolean {
  const host = hostHeader.startsWith('[')
    ? hostHeader.slice(1, hostHeader.indexOf(']'))
    : hostHeader.replace(/:\d+$/, '');
  const name = host.toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  return isIP(name) === 6 && (name === '::1' || name === '0:0:0:0:0:0:0:1');
}
