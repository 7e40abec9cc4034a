/** The Go programs of the cluster, pinned (deploy/topology.ts VERSIONS), built once into the tool cache. */
import { ensureGoTool, type GoTool, type GoToolOptions, type GoToolSpec } from '../go-tool';
import { VERSIONS } from '../../deploy/topology';

export const TEMPORAL_SERVER: GoToolSpec = {
  tool: 'temporal-server',
  version: VERSIONS.temporalServer,
  module: 'go.temporal.io/server',
  pkg: 'cmd/server',
  binaryName: 'temporal-server',
  expectedDuration: 'about 3 minutes',
};

export const TEMPORAL_SQL_TOOL: GoToolSpec = {
  tool: 'temporal-sql-tool',
  version: VERSIONS.temporalServer,
  module: 'go.temporal.io/server',
  pkg: 'cmd/tools/sql',
  binaryName: 'temporal-sql-tool',
  expectedDuration: 'about 2 minutes',
};

export const TEMPORAL_UI_SERVER: GoToolSpec = {
  tool: 'temporal-ui-server',
  version: VERSIONS.temporalUi,
  module: 'github.com/temporalio/ui-server/v2',
  pkg: 'cmd/server',
  binaryName: 'temporal-ui-server',
  expectedDuration: 'about 2 minutes',
};

export interface ClusterTools {
  server: GoTool;
  sqlTool: GoTool;
  uiServer: GoTool;
}

/** One after the other: parallel Go builds on a small machine only fight over the same cores. */
export async function ensureClusterTools(options: GoToolOptions = {}): Promise<ClusterTools> {
  const server = await ensureGoTool(TEMPORAL_SERVER, options);
  const sqlTool = await ensureGoTool(TEMPORAL_SQL_TOOL, options);
  const uiServer = await ensureGoTool(TEMPORAL_UI_SERVER, options);
  return { server, sqlTool, uiServer };
}
