/**
 * The cluster's API balancer (scripts/cluster/balancer.ts) and its ports (scripts/cluster/ports.ts): round robin,
 * a refused replica skipped, a replica dying mid-request answered 502 (the webhook sender redelivers), and port
 * offsets that Temporal's SQL store can hold.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBalancer, type Balancer } from '../../scripts/cluster/balancer';
import { clusterPorts, MAX_PORT_OFFSET } from '../../scripts/cluster/ports';

const servers: Server[] = [];
let balancer: Balancer | undefined;
afterEach(async () => {
  await balancer?.close();
  balancer = undefined;
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function replica(name: string, behaviour: 'answer' | 'die' = 'answer'): Promise<number> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (behaviour === 'die') {
        request.socket.destroy();
        return;
      }
      response
        .writeHead(200, { 'content-type': 'text/plain' })
        .end(`${name}:${Buffer.concat(chunks).toString()}`);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const port = await replica('probe');
  await new Promise((resolve) => (servers.pop() as Server).close(resolve));
  return port;
}

async function post(body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${(balancer as Balancer).url}/webhooks/ondato`, { method: 'POST', body });
  return { status: response.status, text: await response.text() };
}

test('requests alternate between the replicas, bodies intact', async () => {
  balancer = await startBalancer(await freePort(), [await replica('a'), await replica('b')]);
  const answers = [await post('1'), await post('2'), await post('3'), await post('4')];
  expect(answers.map((answer) => answer.text)).toEqual(['a:1', 'b:2', 'a:3', 'b:4']);
});

test('a replica that refuses connections is skipped: the request reaches the other one', async () => {
  const down = await freePort();
  balancer = await startBalancer(await freePort(), [down, await replica('b')]);
  const answers = [await post('1'), await post('2'), await post('3')];
  expect(answers).toEqual([
    { status: 200, text: 'b:1' },
    { status: 200, text: 'b:2' },
    { status: 200, text: 'b:3' },
  ]);
  // No health checks: each request tries its turn first; a refused connection fails at once on loopback.
  expect(balancer.stats().refusedSkipped).toBe(3);
});

test('a replica dying with the request in flight gets a 502, not a silent retry elsewhere', async () => {
  balancer = await startBalancer(await freePort(), [await replica('a', 'die'), await replica('b')]);
  expect((await post('1')).status).toBe(502);
  expect(await post('2')).toEqual({ status: 200, text: 'b:2' });
  expect(balancer.stats().failedInFlight).toBe(1);
});

test('port offsets keep Temporal membership ports within a smallint', () => {
  expect(clusterPorts(MAX_PORT_OFFSET).temporal.workerMembership).toBe(32_767);
  expect(() => clusterPorts(MAX_PORT_OFFSET + 1)).toThrow(/smallint/);
});
