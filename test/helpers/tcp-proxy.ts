import { createServer, type Server, type Socket, connect } from 'node:net';

/**
 * A TCP pass-through to a real server that a test can cut and restore: an outage of the database
 * (or any peer) for one app, without disturbing the other tests that share the server.
 */
export async function startTcpProxy(target: { host: string; port: number }, port = 0) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;

  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      const srv = createServer((client) => {
        const upstream = connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      srv.once('error', reject);
      srv.listen(p, '127.0.0.1', () => {
        server = srv;
        resolve((srv.address() as { port: number }).port);
      });
    });

  const boundPort = await listen(port);
  return {
    port: boundPort,
    /** Refuses new connections and resets every open one. */
    async cut() {
      const srv = server;
      server = undefined;
      for (const s of sockets) s.destroy();
      if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
    /** Accepts connections again on the same port. */
    async restore() {
      if (!server) await listen(boundPort);
    },
    close() {
      return this.cut();
    },
  };
}
