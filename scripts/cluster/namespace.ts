/**
 * The plain Temporal server creates no namespace: the cluster creates `default` and registers the run's search
 * attributes with the CLI, and checks afterwards that every attribute is there with its type. Any failure stops
 * the cluster with the CLI's own message (a run started without them fails on its first upsert).
 */
import { z } from 'zod';
import { NAMESPACE, SEARCH_ATTRIBUTES } from '../../deploy/topology';
import { delay } from './process';
import { runTool } from './temporal-server';

/** How long a namespace takes to reach every frontend's cache (the registry refreshes every few seconds). */
const NAMESPACE_VISIBLE_TIMEOUT_MS = 60_000;

const searchAttributeList = z.object({
  customAttributes: z.record(z.string(), z.string()).optional(),
});

export async function ensureNamespace(
  cli: string,
  address: string,
  log: (line: string) => void,
): Promise<void> {
  const common = ['--address', address, '--namespace', NAMESPACE];
  // Describe, and create when missing, until it exists: a frontend that has just started can answer neither
  // 'found' nor 'not found' for a moment, and a create that timed out may still have happened.
  const namespaceDeadline = Date.now() + NAMESPACE_VISIBLE_TIMEOUT_MS;
  let created = false;
  for (;;) {
    try {
      await runTool(cli, ['operator', 'namespace', 'describe', ...common]);
      if (created) log(`Temporal: namespace ${NAMESPACE} created`);
      break;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (Date.now() > namespaceDeadline) {
        throw new Error(`could not ${created ? 'create' : 'read'} namespace ${NAMESPACE}: ${message}`, {
          cause: error,
        });
      }
      if (/not found|NotFound/i.test(message)) {
        await runTool(cli, ['operator', 'namespace', 'create', ...common, '--retention', '168h']).then(
          () => undefined,
          (createError: Error) => {
            if (!/already (exists|registered)/i.test(createError.message))
              log(`namespace create: ${createError.message}`);
          },
        );
        created = true;
      } else {
        await delay(1_000);
      }
    }
  }

  const missing = async (): Promise<Array<{ name: string; cliType: string }>> => {
    const output = await runTool(cli, ['operator', 'search-attribute', 'list', ...common, '-o', 'json']);
    const custom = searchAttributeList.parse(JSON.parse(output)).customAttributes ?? {};
    const wrong = SEARCH_ATTRIBUTES.filter(
      ({ name, cliType }) => custom[name] !== undefined && !sameType(custom[name], cliType),
    );
    if (wrong.length > 0) {
      throw new Error(
        `search attributes registered with another type: ${wrong.map(({ name }) => `${name}=${custom[name]}`).join(', ')} (the run needs ${wrong.map(({ name, cliType }) => `${name}=${cliType}`).join(', ')}); remove them or use a fresh data directory`,
      );
    }
    return SEARCH_ATTRIBUTES.filter(({ name }) => custom[name] === undefined);
  };

  // A namespace just created may not be known to the frontend's cache yet: retry until it is.
  const deadline = Date.now() + NAMESPACE_VISIBLE_TIMEOUT_MS;
  for (;;) {
    try {
      const toCreate = await missing();
      if (toCreate.length === 0) break;
      for (const { name, cliType } of toCreate) {
        await runTool(cli, [
          'operator',
          'search-attribute',
          'create',
          ...common,
          '--name',
          name,
          '--type',
          cliType,
        ]);
      }
      log(`Temporal: search attributes ${toCreate.map(({ name }) => name).join(', ')} registered`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/another type/.test(message) || Date.now() > deadline) {
        throw new Error(`could not register the search attributes in ${NAMESPACE}: ${message}`, {
          cause: error,
        });
      }
      await delay(1_000);
    }
  }
}

/** The CLI lists types as `Keyword` or `INDEXED_VALUE_TYPE_KEYWORD` depending on its output mode. */
function sameType(listed: string, cliType: string): boolean {
  const normalise = (type: string): string =>
    type
      .replace(/^INDEXED_VALUE_TYPE_/i, '')
      .replace(/_/g, '')
      .toLowerCase();
  return normalise(listed) === normalise(cliType);
}
