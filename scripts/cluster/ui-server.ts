/**
 * The Temporal Web UI server, pointed at the cluster's frontend, with the API's codec endpoint so the browser
 * shows payloads decrypted (for whoever the codec endpoint lets in).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NAMESPACE } from '../../deploy/topology';
import { HOST } from './ports';
import { pidDir } from './leftovers';
import { answersHttp, startProcess, type ManagedProcess } from './process';

export interface UiServerOptions {
  binary: string;
  dataDir: string;
  logDir: string;
  port: number;
  temporalAddress: string;
  codecEndpoint: string;
}

export function uiConfig(
  options: Pick<UiServerOptions, 'port' | 'temporalAddress' | 'codecEndpoint'>,
): string {
  return [
    '# Written by `npm run cluster` (scripts/cluster/ui-server.ts) on every start: edits are overwritten.',
    `temporalGrpcAddress: ${options.temporalAddress}`,
    `host: ${HOST}`,
    `port: ${options.port}`,
    'enableUi: true',
    `defaultNamespace: ${NAMESPACE}`,
    'cors:',
    '  allowOrigins:',
    `    - http://${HOST}:${options.port}`,
    'codec:',
    `  endpoint: ${options.codecEndpoint}`,
    '',
  ].join('\n');
}

export function startUiServer(options: UiServerOptions): Promise<ManagedProcess> {
  const root = path.join(options.dataDir, 'ui');
  mkdirSync(path.join(root, 'config'), { recursive: true });
  writeFileSync(path.join(root, 'config', 'cluster.yaml'), uiConfig(options));
  return startProcess({
    name: 'temporal-ui',
    command: options.binary,
    args: ['--root', root, '--config', 'config', '--env', 'cluster', 'start'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    logDir: options.logDir,
    pidDir: pidDir(options.dataDir),
    ready: answersHttp(`http://${HOST}:${options.port}/`),
  });
}
