/**
 * `npm run demo -- --customer c-42`: starts an onboarding through the running service's API, prints the
 * customer URL and where to watch the run. Options:
 *   --customer <id>      customer id (default: a random one)
 *   --complete <result>  finish the verification in the simulator without a browser:
 *                        approved | rejected | awaiting | aborted
 *   --wait               poll the API until the onboarding has an outcome, then print it
 */
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DEV_DEFAULTS, loadConfig } from '../config';
import { SimulatorControl } from '../simulator/control-client';
import { SAMPLE_REGISTRATION } from '../simulator/sample-registration';

const startResponseSchema = z.looseObject({
  workflowId: z.string(),
  customerUrl: z.string().nullish(),
  idvId: z.string().nullish(),
});
const stateSchema = z.looseObject({
  status: z.string().optional(),
  stage: z.string().optional(),
  outcome: z.string().nullish(),
  reasons: z.array(z.string()).optional(),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      customer: { type: 'string' },
      complete: { type: 'string' },
      wait: { type: 'boolean', default: false },
    },
  });
  const config = loadConfig();
  const apiUrl = config.api.publicUrl;
  const apiKey = config.api.keys[0];
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const customerId = values.customer ?? `demo-${randomUUID().slice(0, 8)}`;

  const response = await fetch(`${apiUrl}/v1/onboardings`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ customerId, registration: SAMPLE_REGISTRATION }),
  });
  const body: unknown = await response.json();
  if (!response.ok) throw new Error(`the API answered ${response.status}: ${JSON.stringify(body)}`);
  const started = startResponseSchema.parse(body);
  const uiQuery = encodeURIComponent(`CustomerId="${customerId}"`);
  process.stdout.write(
    [
      `onboarding ${started.workflowId} (HTTP ${response.status})`,
      `  customer URL:  ${started.customerUrl ?? '(not issued yet)'}`,
      // A configured key is a secret: only the development key is printed.
      `  status:        curl -H 'authorization: Bearer ${apiKey === DEV_DEFAULTS.apiKey ? DEV_DEFAULTS.apiKey : '<API key>'}' ${apiUrl}/v1/onboardings/${customerId}`,
      `  Temporal UI:   http://127.0.0.1:${config.temporal.devServer.uiPort}/namespaces/${config.temporal.namespace}/workflows?query=${uiQuery}`,
      '',
    ].join('\n'),
  );

  if (values.complete) {
    if (!config.ondato.usesSimulator)
      throw new Error('--complete drives the simulator; real Ondato needs a real customer');
    const outcome = z.enum(['approved', 'rejected', 'awaiting', 'aborted']).parse(values.complete);
    const simulatorUrl =
      config.simulator.publicUrl ?? `http://${config.simulator.host}:${config.simulator.port}`;
    await new SimulatorControl(simulatorUrl).complete(started.idvId as string, {
      outcome,
      ...(outcome === 'rejected' ? { statusReason: 'PoorPhotoQuality' } : {}),
    });
    process.stdout.write(`the customer finished the verification in the simulator: ${outcome}\n`);
  }

  if (values.wait) {
    for (;;) {
      const state = stateSchema.parse(
        await (await fetch(`${apiUrl}/v1/onboardings/${customerId}`, { headers })).json(),
      );
      if (state.status !== 'RUNNING' || (state.outcome && state.outcome !== 'manual_review')) {
        process.stdout.write(
          `outcome: ${state.outcome ?? state.status} (${(state.reasons ?? []).join(', ')})\n`,
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[demo] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
