/**
 * The one public API address in front of the API replicas, as a load balancer or a Kubernetes Service is in a
 * deployment: Ondato's webhooks (the simulator's) and the Temporal UI's codec calls come here. Round robin; a
 * replica that refuses the connection is skipped for the next one (the request never reached it, so sending it
 * elsewhere is safe). A replica that dies with the request in flight gets a 502 back to the caller, as a real
 * balancer answers: Ondato then redelivers the webhook, and the webhook's deduplication makes that harmless.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { HOST } from './ports';

export interface Balancer {
  url: string;
  /** Requests answered 502 because the replica died mid-request, and connections refused (skipped). */
  stats(): { forwarded: number; failedInFlight: number; refusedSkipped: number };
  close(): Promise<void>;
}

export async function startBalancer(port: number, upstreamPorts: number[]): Promise<Balancer> {
  let next = 0;
  const stats = { forwarded: 0, failedInFlight: 0, refusedSkipped: 0 };

  const forward = (
    request: IncomingMessage,
    body: Buffer,
    response: ServerResponse,
    attempt: number,
  ): void => {
    const upstream = upstreamPorts[next++ % upstreamPorts.length] as number;
    const outgoing = httpRequest(
      {
        host: HOST,
        port: upstream,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, 'x-forwarded-for': request.socket.remoteAddress ?? HOST },
      },
      (answer) => {
        stats.forwarded += 1;
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
        answer.on('error', () => response.destroy());
      },
    );
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' && attempt + 1 < upstreamPorts.length) {
        stats.refusedSkipped += 1;
        forward(request, body, response, attempt + 1);
        return;
      }
      stats.failedInFlight += 1;
      if (!response.headersSent)
        response.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway\n');
      else response.destroy();
    });
    outgoing.end(body);
  };

  const server: Server = createServer((request, response) => {
    // Bodies are small (webhooks, codec payloads): buffered, so a refused connection can be retried elsewhere.
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => forward(request, Buffer.concat(chunks), response, 0));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, resolve);
  });
  return {
    url: `http://${HOST}:${port}`,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
