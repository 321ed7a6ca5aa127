import { createServer, request, type IncomingMessage, type Server } from 'node:http';

/**
 * An HTTP proxy in front of a real server that injects the faults clients must survive: a
 * response lost after the server acted (the connection dropped before the answer reaches the
 * client), or bytes flipped in transit. Everything else passes through untouched.
 */
export interface FaultRule {
  /** Which requests the fault applies to. */
  match: (req: IncomingMessage) => boolean;
  /** How many matching requests get it (then the rule is spent). */
  times: number;
  fault: 'drop-response' | 'corrupt-body';
}

export async function startFaultProxy(target: string) {
  const upstream = new URL(target);
  const rules: FaultRule[] = [];
  const seen: { method: string; url: string; idempotencyKey?: string; fault?: FaultRule['fault'] }[] = [];
  const server: Server = createServer((req, res) => {
    const rule = rules.find((r) => r.times > 0 && r.match(req));
    if (rule) rule.times--;
    const key = req.headers['idempotency-key'];
    seen.push({ method: req.method!, url: req.url!, idempotencyKey: typeof key === 'string' ? key : undefined, fault: rule?.fault });
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      if (rule?.fault === 'drop-response') {
        // The server has done the work; the client never hears about it.
        up.resume();
        up.on('end', () => req.socket.destroy());
        return;
      }
      res.writeHead(up.statusCode!, up.headers);
      let flipped = rule?.fault !== 'corrupt-body';
      up.on('data', (chunk: Buffer) => {
        if (!flipped) {
          chunk = Buffer.from(chunk);
          chunk[0] = chunk[0]! ^ 0xff;
          flipped = true;
        }
        res.write(chunk);
      });
      up.on('end', () => res.end());
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    base: `http://127.0.0.1:${port}`,
    add: (rule: FaultRule) => rules.push(rule),
    /** Requests seen so far, with the fault each got. */
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
