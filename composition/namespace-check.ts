/**
 * Readiness that means it: Temporal answering is not enough. The namespace must exist and hold every search
 * attribute of the contract with its type, or every start fails ("no mapping defined for search attribute").
 * The worker runs this before it polls and the API's /readyz on every probe; both report the same message.
 */
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { searchAttributeCliSpecs, SEARCH_ATTRIBUTE_KEYS } from '../contract';

/** The two calls the check makes; both `Connection` (client) and `NativeConnection` (worker) offer them. */
export interface NamespaceServices {
  workflowService: {
    describeNamespace(
      request: temporal.api.workflowservice.v1.IDescribeNamespaceRequest,
    ): Promise<temporal.api.workflowservice.v1.IDescribeNamespaceResponse>;
  };
  operatorService: {
    listSearchAttributes(
      request: temporal.api.operatorservice.v1.IListSearchAttributesRequest,
    ): Promise<temporal.api.operatorservice.v1.IListSearchAttributesResponse>;
  };
}

export type NamespaceReadiness =
  { ready: true } | { ready: false; reason: 'namespace-missing' | 'search-attributes'; message: string };

/** Thrown by the worker's start-up check; its message says what to create. */
export class NamespaceNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NamespaceNotReadyError';
  }
}

/** gRPC NOT_FOUND, as both connection kinds report it. */
const notFoundSchema = z.object({ code: z.literal(5) });

function typeName(type: temporal.api.enums.v1.IndexedValueType | null | undefined): string {
  const name = type === null || type === undefined ? undefined : temporal.api.enums.v1.IndexedValueType[type];
  return name ? name.replace('INDEXED_VALUE_TYPE_', '') : String(type);
}

export async function checkNamespace(
  services: NamespaceServices,
  namespace: string,
): Promise<NamespaceReadiness> {
  try {
    await services.workflowService.describeNamespace({ namespace });
  } catch (error) {
    if (!notFoundSchema.safeParse(error).success) throw error;
    return {
      ready: false,
      reason: 'namespace-missing',
      message:
        `Temporal namespace "${namespace}" does not exist: create it ` +
        `(temporal operator namespace create --namespace ${namespace}), then its search attributes`,
    };
  }

  const { customAttributes } = await services.operatorService.listSearchAttributes({ namespace });
  const registered = customAttributes ?? {};
  const specs = searchAttributeCliSpecs();
  const missing: string[] = [];
  const wrongType: string[] = [];
  SEARCH_ATTRIBUTE_KEYS.forEach((key, index) => {
    const actual = registered[key.name];
    if (actual === undefined) missing.push(specs[index]);
    else if (actual !== temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]) {
      wrongType.push(`${key.name} is ${typeName(actual)}, expected ${key.type}`);
    }
  });
  if (missing.length === 0 && wrongType.length === 0) return { ready: true };

  const parts: string[] = [];
  if (missing.length > 0) {
    parts.push(
      `lacks the search attribute(s) ${missing.join(', ')}: register them ` +
        `(temporal operator search-attribute create --namespace ${namespace} ` +
        `${missing.map((spec) => `--name ${spec.split('=')[0]} --type ${spec.split('=')[1]}`).join(' ')})`,
    );
  }
  if (wrongType.length > 0) parts.push(`has search attribute(s) of the wrong type: ${wrongType.join('; ')}`);
  return {
    ready: false,
    reason: 'search-attributes',
    message: `Temporal namespace "${namespace}" ${parts.join(', and ')}`,
  };
}

/** For the worker: refuse to start rather than poll for runs whose starts cannot succeed. */
export async function assertNamespaceReady(services: NamespaceServices, namespace: string): Promise<void> {
  const readiness = await checkNamespace(services, namespace);
  if (!readiness.ready) throw new NamespaceNotReadyError(readiness.message);
}
