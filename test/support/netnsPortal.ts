/**
 * A server of this test process, reachable at a network namespace's address: the "internet"
 * host that rooms open pages from. The room browsers' egress rules (streambox-kiosk-fence)
 * refuse every address of this machine, loopback included, so a page server on 127.0.0.1 (or
 * on the host's side of a veth) is out of their reach, as it would be for a kiosk on a real
 * appliance. 198.18.0.0/15 (test/harness/netns.ts) is outside what the fence refuses.
 *
 * The server listens on the host's side of the veth pair; a small TCP forwarder inside the
 * namespace listens on the namespace's address, same port, and relays each connection to it.
 * The test keeps its server in-process (synchronous report reads), the kiosk dials a host that
 * is not this machine.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNetns, type Netns } from '../harness/netns.js';

const FORWARDER = `
const net = require('node:net');
const [listenHost, port, targetHost] = process.argv.slice(1);
const server = net.createServer((c) => {
  const up = net.connect(Number(port), targetHost);
  c.pipe(up).pipe(c);
  const end = () => { c.destroy(); up.destroy(); };
  c.on('error', end); up.on('error', end); c.on('close', end); up.on('close', end);
});
server.listen(Number(port), listenHost, () => console.log('ready'));
`;

export interface Portal {
  /** http://<namespace address>:<port> */
  origin: string;
  netns: Netns;
  close(): Promise<void>;
}

/** Listens `server` on a fresh namespace's host side and forwards the namespace's address to it. */
export async function serveFromNetns(server: Server, role = 'pages'): Promise<Portal> {
  const netns = await createNetns(role);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, netns.hostAddress, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const child = netns.spawn([process.execPath, '-e', FORWARDER, netns.address, String(port), netns.hostAddress]);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`forwarder in ${netns.name} did not start`)), 10_000);
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`forwarder in ${netns.name} exited (${code})`));
      });
    });
    return {
      origin: `http://${netns.address}:${port}`,
      netns,
      async close() {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        await netns.teardown();
      },
    };
  } catch (e) {
    server.close();
    await netns.teardown();
    throw e;
  }
}
