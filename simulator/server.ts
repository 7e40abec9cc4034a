/** Runs the simulator on a port (127.0.0.1 and a free port by default) and shuts it down cleanly. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSimulator, type Simulator, type SimulatorOptions } from './app';
import type { SimulatorControls } from './controls';

export interface RunningSimulator {
  /** Base URL of every simulated host (token server, APIs, web flow under /idv, control API under /_sim). */
  url: string;
  host: string;
  port: number;
  controls: SimulatorControls;
  simulator: Simulator;
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  const simulator = createSimulator(options);
  const server = createServer(simulator.app);
  await listen(server, options.port ?? 0, host);
  const { port } = server.address() as AddressInfo;
  const url = (options.publicUrl ?? `http://${urlHost(host)}:${port}`).replace(/\/+$/, '');

  let closing: Promise<void> | undefined;
  return {
    url,
    host,
    port,
    controls: simulator.controls,
    simulator,
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve, reject) =>
          server.close((error) => (error ? reject(error) : resolve())),
        );
        // Keep-alive connections and running downloads would hold close() open.
        server.closeAllConnections();
        try {
          await serverClosed;
        } finally {
          // After the server: no request changes the state once it is written.
          await simulator.close();
        }
      })();
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
