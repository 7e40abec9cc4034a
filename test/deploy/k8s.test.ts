/**
 * deploy/k8s, checked without a cluster: kustomize renders the base and the example overlay, kubeconform (built
 * from the Go module proxy) validates every resource strictly against the Kubernetes API schemas (made offline
 * from the k8s.io/kubernetes module), and the rendered objects are held to what the service needs: probes,
 * graceful worker termination, resources, a locked-down security context, config that config/env.ts accepts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { loadConfig } from '../../config';
import { SEARCH_ATTRIBUTE_KEYS, searchAttributeCliSpecs } from '../../contract/search-attributes';
import { NAMESPACE, TASK_QUEUE } from '../../deploy/topology';
import { ensureKubeconform, type Kubeconform } from '../../scripts/kubeconform';
import { kustomizeCommand, renderKustomization } from '../../scripts/kustomize';
import { parseYamlDocuments } from './support/yaml';

const ROOT = path.resolve(__dirname, '..', '..');
const BASE = path.join(ROOT, 'deploy', 'k8s', 'base');
const OVERLAY = path.join(ROOT, 'deploy', 'k8s', 'overlays', 'example');

const container = z.looseObject({
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()).optional(),
  ports: z.array(z.looseObject({ name: z.string().optional(), containerPort: z.number() })).optional(),
  env: z
    .array(
      z.object({
        name: z.string(),
        value: z.string().optional(),
        valueFrom: z
          .looseObject({ configMapKeyRef: z.object({ name: z.string(), key: z.string() }) })
          .optional(),
      }),
    )
    .optional(),
  envFrom: z
    .array(
      z.object({
        configMapRef: z.object({ name: z.string() }).optional(),
        secretRef: z.object({ name: z.string() }).optional(),
      }),
    )
    .optional(),
  livenessProbe: z
    .looseObject({ httpGet: z.object({ path: z.string(), port: z.union([z.string(), z.number()]) }) })
    .optional(),
  readinessProbe: z
    .looseObject({ httpGet: z.object({ path: z.string(), port: z.union([z.string(), z.number()]) }) })
    .optional(),
  resources: z.object({
    requests: z.record(z.string(), z.string()),
    limits: z.record(z.string(), z.string()),
  }),
  securityContext: z.looseObject({
    allowPrivilegeEscalation: z.literal(false),
    readOnlyRootFilesystem: z.literal(true),
    capabilities: z.object({ drop: z.array(z.string()) }),
  }),
  volumeMounts: z.array(z.looseObject({ name: z.string(), mountPath: z.string() })).optional(),
});

const podTemplate = z.object({
  metadata: z.object({ labels: z.record(z.string(), z.string()) }),
  spec: z.looseObject({
    terminationGracePeriodSeconds: z.number().optional(),
    securityContext: z.looseObject({ runAsNonRoot: z.literal(true) }),
    containers: z.array(container),
    volumes: z
      .array(z.looseObject({ name: z.string(), configMap: z.object({ name: z.string() }).optional() }))
      .optional(),
  }),
});

const workload = z.looseObject({
  kind: z.enum(['Deployment', 'Job']),
  metadata: z.looseObject({ name: z.string() }),
  spec: z.looseObject({ replicas: z.number().optional(), template: podTemplate }),
});

const resource = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({ name: z.string(), namespace: z.string().optional() }),
});
type Resource = z.infer<typeof resource>;

let kubeconform: Kubeconform;
let kustomize: string[];
let overlayText: string;
let overlay: Resource[];

function find(kind: string, namePrefix: string): Resource {
  const found = overlay.filter((r) => r.kind === kind && r.metadata.name.startsWith(namePrefix));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${namePrefix}*, found ${found.length}`);
  return found[0] as Resource;
}

function workloadOf(kind: 'Deployment' | 'Job', name: string): z.infer<typeof workload> {
  return workload.parse(find(kind, name));
}

/** A pod's environment as the container sees it: the ConfigMap and Secret it loads, decoded. */
function podEnvironment(template: z.infer<typeof podTemplate>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of template.spec.containers[0]?.envFrom ?? []) {
    if (source.configMapRef) {
      Object.assign(
        env,
        z.record(z.string(), z.string()).parse(find('ConfigMap', source.configMapRef.name).data),
      );
    }
    if (source.secretRef) {
      const data = z.record(z.string(), z.string()).parse(find('Secret', source.secretRef.name).data);
      for (const [name, value] of Object.entries(data))
        env[name] = Buffer.from(value, 'base64').toString('utf8');
    }
  }
  return env;
}

beforeAll(async () => {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // The first run builds kubeconform (and kustomize when kubectl is missing) and makes the schemas.
  kubeconform = await ensureKubeconform({ log });
  kustomize = await kustomizeCommand({ log });
  overlayText = renderKustomization(kustomize, OVERLAY);
  overlay = parseYamlDocuments(overlayText).map((document) => resource.parse(document));
}, 600_000);

describe('deploy/k8s', () => {
  it('renders resources that kubeconform finds valid, strictly, for Kubernetes 1.34', () => {
    for (const [dir, text] of [
      [BASE, renderKustomization(kustomize, BASE)],
      [OVERLAY, overlayText],
    ] as const) {
      const { resources, summary } = kubeconform.validate(text);
      const problems = resources.filter(({ status }) => status !== 'statusValid');
      expect({ dir, problems }).toEqual({ dir, problems: [] });
      expect({ dir, ...summary }).toEqual({
        dir,
        valid: parseYamlDocuments(text).length,
        invalid: 0,
        errors: 0,
        skipped: 0,
      });
    }
    expect(overlay.map((r) => r.kind).sort()).toEqual(
      [
        'ConfigMap',
        'ConfigMap',
        'Deployment',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Job',
        'Namespace',
        'NetworkPolicy',
        'NetworkPolicy',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'PodDisruptionBudget',
        'Secret',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
  });

  it('kubeconform refuses what the API server would: an unknown field, a wrong type, an unknown kind', () => {
    const broken = [
      overlayText.replace('readinessProbe:', 'readynessProbe:'),
      overlayText.replace('terminationGracePeriodSeconds: 45', 'terminationGracePeriodSeconds: "45"'),
      overlayText.replace('kind: HorizontalPodAutoscaler', 'kind: HorizontalPodAutoscalr'),
    ];
    for (const text of broken) {
      expect(text).not.toBe(overlayText);
      const { summary } = kubeconform.validate(text);
      expect(summary.invalid + summary.errors).toBe(1);
    }
  });

  it('serves the API behind a Service, probed on /healthz and /readyz, scaled by an HPA', () => {
    const api = workloadOf('Deployment', 'onboarding-api');
    const [server] = api.spec.template.spec.containers;
    expect(server?.command).toEqual(['node', 'dist/api/main.js']);
    const port = server?.ports?.[0];
    expect(server?.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: port?.name });
    expect(server?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: port?.name });
    expect(port?.containerPort).toBe(loadConfig(podEnvironment(api.spec.template)).api.port);

    const service = z
      .object({
        spec: z.looseObject({
          selector: z.record(z.string(), z.string()),
          ports: z.array(z.looseObject({ targetPort: z.string() })),
        }),
      })
      .parse(find('Service', 'onboarding-api'));
    expect(api.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(service.spec.ports.map(({ targetPort }) => targetPort)).toEqual([port?.name]);

    const hpa = z
      .object({
        spec: z.looseObject({
          scaleTargetRef: z.looseObject({ kind: z.string(), name: z.string() }),
          minReplicas: z.number(),
        }),
      })
      .parse(find('HorizontalPodAutoscaler', 'onboarding-api'));
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: api.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
  });

  it('lets connections reach the API on its HTTP port only, the workers only for metrics scrapes, the Job never', () => {
    const policies = overlay
      .filter((r) => r.kind === 'NetworkPolicy')
      .map((r) =>
        z
          .object({
            spec: z.object({
              podSelector: z.looseObject({
                matchLabels: z.record(z.string(), z.string()).optional(),
                matchExpressions: z
                  .array(
                    z.object({ key: z.string(), operator: z.literal('In'), values: z.array(z.string()) }),
                  )
                  .optional(),
              }),
              policyTypes: z.array(z.string()),
              ingress: z
                .array(
                  z.object({
                    from: z
                      .array(
                        z.object({
                          namespaceSelector: z.object({ matchLabels: z.record(z.string(), z.string()) }),
                        }),
                      )
                      .optional(),
                    ports: z.array(z.object({ port: z.union([z.string(), z.number()]) })),
                  }),
                )
                .optional(),
            }),
          })
          .parse(r),
      );
    const selects = (labels: Record<string, string>) =>
      policies.filter(
        ({ spec: { podSelector } }) =>
          Object.entries(podSelector.matchLabels ?? {}).every(([key, value]) => labels[key] === value) &&
          (podSelector.matchExpressions ?? []).every(({ key, values }) => values.includes(labels[key] ?? '')),
      );
    const api = workloadOf('Deployment', 'onboarding-api').spec.template;
    const apiPolicies = selects(api.metadata.labels);
    expect(
      apiPolicies.map(({ spec }) => spec.ingress?.flatMap((rule) => rule.ports.map(({ port }) => port))),
    ).toEqual([[api.spec.containers[0]?.ports?.[0]?.name]]);
    const job = selects(workloadOf('Job', 'temporal-namespace').spec.template.metadata.labels);
    expect(job.map(({ spec }) => [spec.policyTypes, spec.ingress ?? []])).toEqual([[['Ingress'], []]]);

    // Workers: only their named metrics ports, only from the monitoring namespace, and those ports are the
    // ones the worker's configuration serves.
    const worker = workloadOf('Deployment', 'onboarding-worker').spec.template;
    const workerPolicies = selects(worker.metadata.labels);
    expect(workerPolicies).toHaveLength(1);
    const rules = workerPolicies[0]?.spec.ingress ?? [];
    expect(rules.map((rule) => rule.from)).toEqual([
      [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    ]);
    const openPorts = rules.flatMap((rule) => rule.ports.map(({ port }) => port)).sort();
    const declared = worker.spec.containers[0]?.ports ?? [];
    expect(openPorts).toEqual(declared.map(({ name }) => name).sort());
    const { workerMetrics } = loadConfig(podEnvironment(worker)).observability;
    expect(workerMetrics.host).toBe('0.0.0.0');
    expect(declared.map(({ containerPort }) => containerPort).sort()).toEqual(
      [workerMetrics.port, workerMetrics.temporalPort].sort(),
    );
  });

  it('gives each worker longer to stop than its shutdown grace, and runs several', () => {
    const worker = workloadOf('Deployment', 'onboarding-worker');
    const config = loadConfig(podEnvironment(worker.spec.template));
    expect(worker.spec.template.spec.containers[0]?.command).toEqual([
      'node',
      '--max-old-space-size=384',
      'dist/workers/main.js',
    ]);
    expect((worker.spec.template.spec.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(
      config.temporal.worker.shutdownGraceMs,
    );
    expect(worker.spec.replicas).toBeGreaterThanOrEqual(2);
  });

  it('runs every container non-root on a read-only root filesystem, with requests and limits', () => {
    for (const [kind, name] of [
      ['Deployment', 'onboarding-api'],
      ['Deployment', 'onboarding-worker'],
      ['Job', 'temporal-namespace'],
    ] as const) {
      // The schema above requires the security settings; this names what is missing if it does not parse.
      const parsed = workload.safeParse(find(kind, name));
      expect({
        name,
        issues: parsed.success ? [] : parsed.error.issues.map((issue) => issue.path.join('.')),
      }).toEqual({
        name,
        issues: [],
      });
      for (const c of parsed.data?.spec.template.spec.containers ?? []) {
        expect({
          name,
          requests: Object.keys(c.resources.requests).sort(),
          limits: Object.keys(c.resources.limits).sort(),
        }).toEqual({
          name,
          requests: ['cpu', 'memory'],
          limits: ['cpu', 'memory'],
        });
        expect(c.securityContext.capabilities.drop).toEqual(['ALL']);
        expect(c.volumeMounts?.map((mount) => mount.mountPath)).toContain('/tmp');
      }
    }
  });

  it('configures both deployments from a ConfigMap and a Secret that config/env.ts accepts', () => {
    for (const name of ['onboarding-api', 'onboarding-worker']) {
      const template = workloadOf('Deployment', name).spec.template;
      const refs = template.spec.containers[0]?.envFrom ?? [];
      expect(refs.some((ref) => ref.configMapRef) && refs.some((ref) => ref.secretRef)).toBe(true);
      const config = loadConfig(podEnvironment(template));
      expect({
        name,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        store: config.documents.store,
      }).toEqual({
        name,
        namespace: NAMESPACE,
        taskQueue: TASK_QUEUE,
        store: 's3',
      });
    }
  });

  it('registers the contract search attributes with the same script as the compose job', () => {
    const job = workloadOf('Job', 'temporal-namespace');
    const env = Object.fromEntries((job.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e]));
    expect(env.SEARCH_ATTRIBUTES?.value?.split(/\s+/)).toEqual(searchAttributeCliSpecs());
    expect(env.TEMPORAL_NAMESPACE?.valueFrom?.configMapKeyRef.key).toBe('TEMPORAL_NAMESPACE');

    const composeScript = readFileSync(path.join(ROOT, 'deploy', 'compose', 'temporal-namespace.sh'), 'utf8');
    const scriptVolume = job.spec.template.spec.volumes?.find((volume) => volume.configMap);
    const scriptMap = z
      .object({ data: z.record(z.string(), z.string()) })
      .parse(find('ConfigMap', scriptVolume?.configMap?.name ?? '?'));
    expect(scriptMap.data['temporal-namespace.sh']).toBe(composeScript);
    expect(job.spec.template.spec.containers[0]?.command).toEqual([
      '/bin/sh',
      '/etc/onboarding/temporal-namespace.sh',
    ]);
  });

  it('documents the Temporal Helm chart values and every search attribute', () => {
    const readme = readFileSync(path.join(ROOT, 'deploy', 'k8s', 'README.md'), 'utf8');
    for (const key of SEARCH_ATTRIBUTE_KEYS) expect(readme).toContain(key.name);
    expect(readme).toContain('postgres12');
    expect(readme).toContain('helm');
  });
});
