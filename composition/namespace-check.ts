/**
 * Readiness that means it: Temporal answering is not enough. The namespace must exist and hold every search
 * attribute of the contract with its type, or every start fails ("no mapping defined for search attribute").
 * The worker runs this before it polls and the API's /readyz on every probe; both report the same message.
 */
import type { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { searchAttributeCliSpecs, SEARCH_ATTRIBUTE_KEYS } from '../contract';

/** The two calls the check makes; both `Connection` (client) and `NativeConnection` (worker) offer them. */
export interface NamespaceServices {
  workflowService: {
    describeNamespace(
      request: temporal.api.workflowservice.v1.IDescribeNamespaceRequest,
    ): Promise<temporal.api.workflowservice.v1.IDescribeNamespaceResponse>;
    countWorkflowExecutions(
      request: temporal.api.workflowservice.v1.ICountWorkflowExecutionsRequest,
    ): Promise<temporal.api.workflowservice.v1.ICountWorkflowExecutionsResponse>;
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

/** gRPC status codes, as both connection kinds report them. */
const notFoundSchema = z.object({ code: z.literal(5) });
const invalidArgumentSchema = z.object({ code: z.literal(3) });
/** PERMISSION_DENIED, UNIMPLEMENTED: a server or credential without the operator service's read calls. */
const operatorRefusedSchema = z.object({ code: z.union([z.literal(7), z.literal(12)]) });

/** A value of each type for a visibility query that only has to parse. */
const QUERY_LITERALS: Record<SearchAttributeType, string> = {
  TEXT: "''",
  KEYWORD: "''",
  KEYWORD_LIST: "''",
  INT: '0',
  DOUBLE: '0',
  BOOL: 'true',
  DATETIME: "'2000-01-01T00:00:00Z'",
};

type Registered =
  | { listed: true; types: Record<string, temporal.api.enums.v1.IndexedValueType> }
  | { listed: false; present: Set<string> };

/**
 * The namespace's custom attributes with their types. Where the operator service is refused (some hosted
 * clusters, narrowly scoped credentials), visibility itself tells which attributes exist: a query on an
 * unregistered one is an invalid argument. Types cannot be checked that way.
 */
async function registeredAttributes(services: NamespaceServices, namespace: string): Promise<Registered> {
  try {
    const { customAttributes } = await services.operatorService.listSearchAttributes({ namespace });
    return { listed: true, types: customAttributes ?? {} };
  } catch (error) {
    if (!operatorRefusedSchema.safeParse(error).success) throw error;
  }
  const present = new Set<string>();
  for (const key of SEARCH_ATTRIBUTE_KEYS) {
    try {
      await services.workflowService.countWorkflowExecutions({
        namespace,
        query: `${key.name} = ${QUERY_LITERALS[key.type]}`,
      });
      present.add(key.name);
    } catch (error) {
      if (!invalidArgumentSchema.safeParse(error).success) throw error;
    }
  }
  return { listed: false, present };
}

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

  const registered = await registeredAttributes(services, namespace);
  const specs = searchAttributeCliSpecs();
  const missing: string[] = [];
  const wrongType: string[] = [];
  SEARCH_ATTRIBUTE_KEYS.forEach((key, index) => {
    if (!registered.listed) {
      if (!registered.present.has(key.name)) missing.push(specs[index]);
      return;
    }
    const actual = registered.types[key.name];
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
