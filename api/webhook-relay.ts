/**
 * Relays a validated Ondato webhook to its onboarding run as a signal carrying ids only.
 *
 * The common path needs no lookup: Ondato echoes our `externalReferenceId` (the customer id), which names the
 * workflow. Deliveries without it are routed by the IDV id through visibility (`OndatoIdvId`); visibility lags
 * the workflow's upsert a little, so a recent event with no visible run is refused (503) for Ondato to redeliver,
 * while an old one is a stray and acknowledged.
 *
 * Before a delivery becomes a signal: a delivery id answered before is answered from memory (./webhook-dedupe.ts),
 * and each run's signals go through a budget that merges floods into one wake-up (./signal-budget.ts).
 */
import type { Client } from '@temporalio/client';
import type { WebhookEnvelope } from '../ondato/schemas';
import { routeWebhook } from '../api/webhook-routing';
import {
  CUSTOMER_ID_PATTERN,
  onboardingWorkflowId,
  ondatoWebhookSignal,
  type OndatoWebhookSignal,
} from '../contract';
import { ApiError } from './errors';
import { SignalBudget, type SignalBudgetOptions } from './signal-budget';
import {
  isSignalLimitReached,
  isWorkflowNotFound,
  rethrowIfUnavailable,
  runSignalLimit,
} from './temporal-errors';
import { DeliveryLedger } from './webhook-dedupe';
import type { WebhookReceipt } from './webhook-receipt';

export interface WebhookRelayOptions {
  client: Client;
  /** Deadline of each Temporal call; past it the delivery is refused with 503 so Ondato retries. */
  callTimeoutMs: number;
  /** How long after its creation an event may still precede its run in visibility. */
  visibilityGraceMs: number;
  now: () => Date;
  /** Per-run signal budget; the default suits Ondato's traffic (a handful of webhooks per run). */
  signalBudget?: SignalBudgetOptions;
}

/** What the relay did, for the response, the log line and the metrics. Ids only. */
export type RelayResult = WebhookReceipt & {
  type: string;
  deliveryId: string;
  route?: 'reference' | 'idv_lookup';
};

/** IDV ids go into a visibility query: allow only what Ondato's ids look like. */
const SAFE_IDV_ID = /^[A-Za-z0-9-]{1,100}$/;

export class WebhookRelay {
  private readonly deliveries = new DeliveryLedger<RelayResult>();
  private readonly budget: SignalBudget;

  constructor(private readonly options: WebhookRelayOptions) {
    this.budget = new SignalBudget(options.signalBudget);
  }

  /** Relays a delivery once per delivery id; a repeat is answered `duplicate`, without a signal. */
  async relay(envelope: WebhookEnvelope): Promise<RelayResult> {
    const { result, repeat } = await this.deliveries.once(envelope.id, () => this.relayOnce(envelope));
    return repeat ? { ...result, status: 'duplicate' } : result;
  }

  private async relayOnce(envelope: WebhookEnvelope): Promise<RelayResult> {
    const routing = routeWebhook(envelope);
    if (routing.kind === 'ignored') return { deliveryId: envelope.id, type: routing.type, status: 'ignored' };
    const { signal } = routing;
    const result = { deliveryId: envelope.id, type: signal.type };

    if (routing.customerId && CUSTOMER_ID_PATTERN.test(routing.customerId)) {
      const workflowId = onboardingWorkflowId(routing.customerId);
      const status = await this.signal(workflowId, undefined, signal);
      return { ...result, route: 'reference', workflowId, status };
    }

    if (!routing.idvId || !SAFE_IDV_ID.test(routing.idvId)) return { ...result, status: 'unroutable' };
    const run = await this.findRunByIdv(routing.idvId);
    if (!run) {
      if (this.isRecent(envelope.createdUtc)) {
        throw new ApiError(
          503,
          'run_not_visible_yet',
          'No run is visible for this verification yet; redeliver later',
          undefined,
          {
            'Retry-After': '10',
          },
        );
      }
      return { ...result, route: 'idv_lookup', status: 'no_run' };
    }
    const status = await this.signal(run.workflowId, run.runId, signal);
    return { ...result, route: 'idv_lookup', workflowId: run.workflowId, status };
  }

  /** Through the run's budget: sent now (`relayed`), merged into its next signal, or no open run. */
  private async signal(
    workflowId: string,
    runId: string | undefined,
    signal: OndatoWebhookSignal,
  ): Promise<'relayed' | 'merged' | 'no_run'> {
    const outcome = await this.budget.submit(workflowId, signal, (merged) =>
      this.send(workflowId, runId, merged),
    );
    return outcome === 'sent' ? 'relayed' : outcome;
  }

  /** True once Temporal accepted the signal; false when the run does not exist or is closed. */
  private async send(
    workflowId: string,
    runId: string | undefined,
    signal: OndatoWebhookSignal,
  ): Promise<boolean> {
    try {
      await this.options.client.withDeadline(Date.now() + this.options.callTimeoutMs, () =>
        this.options.client.workflow.getHandle(workflowId, runId).signal(ondatoWebhookSignal, signal),
      );
      return true;
    } catch (error) {
      if (isWorkflowNotFound(error)) return false;
      if (isSignalLimitReached(error)) throw runSignalLimit(workflowId);
      rethrowIfUnavailable(error);
    }
  }

  /** The newest run that recorded this IDV id; running runs first (a closed one cannot take the signal). */
  private async findRunByIdv(idvId: string): Promise<{ workflowId: string; runId: string } | undefined> {
    try {
      return await this.options.client.withDeadline(Date.now() + this.options.callTimeoutMs, async () => {
        let closed: { workflowId: string; runId: string } | undefined;
        for await (const run of this.options.client.workflow.list({
          query: `OndatoIdvId = '${idvId}'`,
          pageSize: 10,
        })) {
          if (run.status.name === 'RUNNING') return { workflowId: run.workflowId, runId: run.runId };
          closed ??= { workflowId: run.workflowId, runId: run.runId };
        }
        return closed;
      });
    } catch (error) {
      rethrowIfUnavailable(error);
    }
  }

  private isRecent(createdUtc: string): boolean {
    // Ondato's `...Utc` fields may come without a zone designator; they are UTC all the same.
    const zoned = /(?:[zZ]|[+-]\d{2}:?\d{2})$/.test(createdUtc) ? createdUtc : `${createdUtc}Z`;
    const created = Date.parse(zoned);
    // An unreadable timestamp is treated as old: the workflow's polling still catches what the event announced.
    if (Number.isNaN(created)) return false;
    return this.options.now().getTime() - created < this.options.visibilityGraceMs;
  }
}
