/** The secrets the benchmark's stack is configured with: local, throwaway, never the development defaults. */
export const BENCH_CREDENTIALS = {
  apiKey: 'bench-api-key',
  ondatoClientId: 'bench-ondato-client',
  ondatoClientSecret: 'bench-ondato-secret',
  webhookUsername: 'ondato-bench',
  webhookPassword: 'bench-webhook-password',
  callbackSecret: 'bench-callback-secret',
} as const;

export function basicAuthHeader(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
