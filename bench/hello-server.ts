import Fastify from 'fastify';

// The peer: a bare Fastify route, the ceiling any Fastify endpoint on this machine can reach.
const app = Fastify({ logger: false });
app.get('/hello', async () => ({ hello: 'world' }));
const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.stdout.write(`${address}\n`);
