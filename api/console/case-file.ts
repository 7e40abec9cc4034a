/**
 * Everything a case page shows, read for the customer's latest run: its live state (the same view GET
 * /v1/onboardings/:customerId gives), and from its history the registration, the KYC summary and the timeline.
 * A run that continued as new keeps its earlier history in earlier runs: those are read too, a few at most.
 */
import type { Client } from '@temporalio/client';
import { onboardingWorkflowId } from '../../contract';
import type { OnboardingService } from '../onboarding-service';
import type { OnboardingStatus } from '../schemas';
import type { KycSummaryView, RegistrationView } from './case-schemas';
import { readRunHistory, type TimelineEntry } from './run-history';

/** Earlier runs (continue-as-new) read for a case; older ones are only counted as missing. */
export const EARLIER_RUNS_READ = 5;

export interface CaseFile {
  status: OnboardingStatus;
  registration?: RegistrationView;
  inputReadable: boolean;
  kyc?: KycSummaryView;
  timeline: TimelineEntry[];
  omitted: number;
  /** True when even earlier runs exist than were read. */
  earlierRunsUnread: boolean;
  temporalUiUrl: string;
}

export interface CaseReaderOptions {
  client: Client;
  service: OnboardingService;
  callTimeoutMs: number;
  /** The Temporal Web UI's base URL as reviewers reach it. */
  temporalUiUrl: string;
}

export class CaseReader {
  constructor(private readonly options: CaseReaderOptions) {}

  async read(customerId: string): Promise<CaseFile> {
    const { client, service, callTimeoutMs } = this.options;
    const status = await service.status(customerId);
    const workflowId = onboardingWorkflowId(customerId);
    const current = await readRunHistory(client, workflowId, status.runId, callTimeoutMs);
    let kyc = current.kyc;
    let timeline = current.timeline;
    let omitted = current.omitted;
    let earlier = current.continuedFromRunId;
    for (let read = 0; earlier && read < EARLIER_RUNS_READ; read += 1) {
      const history = await readRunHistory(client, workflowId, earlier, callTimeoutMs);
      kyc ??= history.kyc;
      timeline = [...history.timeline, ...timeline];
      omitted += history.omitted;
      earlier = history.continuedFromRunId;
    }
    return {
      status,
      registration: current.registration,
      inputReadable: current.inputReadable,
      kyc,
      timeline,
      omitted,
      earlierRunsUnread: earlier !== undefined,
      temporalUiUrl: this.runLink(workflowId, status.runId),
    };
  }

  private runLink(workflowId: string, runId: string): string {
    const namespace = encodeURIComponent(this.options.client.options.namespace);
    return `${this.options.temporalUiUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
  }
}
