/**
 * What the API answered during a scenario, from its own Prometheus counters (`GET /metrics`): every request the
 * suite, the simulator's webhooks and the probes made, by route and status. A scenario passes this check only if
 * no request got a 5xx other than 503 (Temporal away, or a webhook whose run is not visible yet: both ask the
 * caller to come back).
 */
import type { Check } from './report';
import type { ServiceApi } from './service-api';

const REQUESTS = /^onboarding_api_http_requests_total\{([^}]*)\} (\d+(?:\.\d+)?)$/;
const LABEL = /(\w+)="([^"]*)"/g;

export type AnswerCounts = Map<string, number>;

export async function readAnswerCounts(api: ServiceApi): Promise<AnswerCounts> {
  const answer = await api.request('GET', '/metrics');
  const counts: AnswerCounts = new Map();
  for (const line of answer.text.split('\n')) {
    const match = REQUESTS.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...match[1].matchAll(LABEL)].map(([, key, value]) => [key, value]));
    const key = `${labels.method} ${labels.route} → ${labels.status}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(match[2]));
  }
  return counts;
}

/** The requests answered between two readings, by "METHOD route → status". */
export function answersBetween(before: AnswerCounts, after: AnswerCounts): AnswerCounts {
  const delta: AnswerCounts = new Map();
  for (const [key, value] of after) {
    const added = value - (before.get(key) ?? 0);
    if (added > 0) delta.set(key, added);
  }
  return delta;
}

export function no5xxButRetryLater(delta: AnswerCounts): Check {
  let total = 0;
  const failures: string[] = [];
  for (const [key, count] of delta) {
    total += count;
    const status = Number(key.slice(key.lastIndexOf(' ') + 1));
    if (status >= 500 && status !== 503) failures.push(`${count}× ${key}`);
  }
  const bad = failures.reduce((sum, failure) => sum + Number(failure.slice(0, failure.indexOf('×'))), 0);
  return { name: 'API answers: no 5xx but 503', passed: total - bad, total, failures };
}

/** "3× POST /webhooks/ondato → 503, …" for the notes. */
export function describeAnswers(delta: AnswerCounts, filter: (status: number) => boolean): string {
  return [...delta]
    .filter(([key]) => filter(Number(key.slice(key.lastIndexOf(' ') + 1))))
    .map(([key, count]) => `${count}× ${key}`)
    .join(', ');
}
