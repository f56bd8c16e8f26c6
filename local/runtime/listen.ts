import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RuntimeError } from './errors';

/** What a listening socket is for, so a failure can say which port, for what, and how to change it. */
export interface ListenTarget {
  port: number;
  host: string;
  /** e.g. "the HTTP trigger of presign-api". */
  purpose: string;
  /** The environment variable that sets this port, when there is one. */
  portVariable?: string;
}

/**
 * Listens and resolves with the bound port (useful with port 0). A port in use fails with `PORT_IN_USE`
 * naming the port, its purpose and the variable that moves it.
 */
export function listen(server: Server, target: ListenTarget): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const hint = target.portVariable ? `; set ${target.portVariable} to use another port` : '';
      if (error.code === 'EADDRINUSE') {
        reject(
          new RuntimeError(
            'PORT_IN_USE',
            `Port ${target.port} on ${target.host} (${target.purpose}) is already in use${hint}`,
            { cause: error },
          ),
        );
      } else {
        reject(
          new RuntimeError(
            'LISTEN_FAILED',
            `Cannot listen on ${target.host}:${target.port} (${target.purpose}): ${error.message}${hint}`,
            { cause: error },
          ),
        );
      }
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(target.port, target.host);
  });
}

/** Closes a server and every connection it still holds (keep-alive sockets would otherwise keep it open). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** `http://host:port`, with IPv6 hosts bracketed. */
export function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
