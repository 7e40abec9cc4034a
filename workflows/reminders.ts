/**
 * Reminders while the customer has not finished: at each configured offset (after the current link was issued,
 * or before the customer deadline) the run sends `onboarding.reminder_due` with the link and its validity, so
 * the product sends its own email or SMS. Each reminder goes out once per link (what was sent is in the state,
 * which a continuation carries); a fresh link has reminders of its own. Deterministic workflow code.
 */
import { condition, isCancellation, log, patched } from '@temporalio/workflow';
import type { OnboardingState, ReminderOffset } from '../contract';
import type { PatchCheck } from './patches';

/** `patched()` id: runs recorded before reminders existed sent none. */
const SEND_REMINDERS = 'send-reminders';

export interface DueReminder {
  number: number;
  idvId: string;
  customerUrl: string;
  /** The run's customer deadline: Ondato's API does not say how long its session lives. */
  validUntil: string;
}

export interface RemindersDeps {
  state: OnboardingState;
  offsets: readonly ReminderOffset[];
  /** Delivers one reminder (the callback); its failure is the sender's to record. */
  send(reminder: DueReminder): Promise<void>;
  now(): string;
}

export class Reminders {
  private stopped = false;
  /** True while Ondato has ended the current session: its link no longer works, so nothing is sent. */
  private paused: () => boolean = () => false;

  constructor(private readonly deps: RemindersDeps) {}

  /** Whether this run sends reminders (false while replaying histories from before it did). */
  static enabled(released: PatchCheck = patched): boolean {
    return released(SEND_REMINDERS);
  }

  /**
   * Sends the reminders of the current link as they come due, until `stop()`. Runs beside the customer wait;
   * a cancellation of the run ends it quietly.
   */
  start(deadlineAt: number, paused: () => boolean): void {
    this.stopped = false;
    this.paused = paused;
    this.loop(deadlineAt).catch((error: unknown) => {
      if (!isCancellation(error)) log.warn('reminders stopped', { error: String(error) });
    });
  }

  stop(): void {
    this.stopped = true;
  }

  /** The earliest reminder of the current link not sent yet, with its moment; none when all are done. */
  private next(deadlineAt: number): { at: number; number: number } | undefined {
    const { state, offsets } = this.deps;
    const issuedAt = state.timestamps.customerUrlIssuedAt;
    if (state.idvId === undefined || state.customerUrl === undefined || issuedAt === undefined)
      return undefined;
    const linkIssuedAt = Date.parse(issuedAt);
    const sent = new Set(
      (state.remindersSent ?? []).filter((s) => s.idvId === state.idvId).map((s) => s.number),
    );
    let next: { at: number; number: number } | undefined;
    offsets.forEach((offset, index) => {
      const number = index + 1;
      const at =
        'afterLinkMs' in offset ? linkIssuedAt + offset.afterLinkMs : deadlineAt - offset.beforeDeadlineMs;
      if (sent.has(number) || at < linkIssuedAt || at >= deadlineAt) return;
      if (next === undefined || at < next.at) next = { at, number };
    });
    return next;
  }

  private async loop(deadlineAt: number): Promise<void> {
    const { state } = this.deps;
    // Wakes on anything that changes what is due: a stop, a fresh link, the session ending or coming back.
    const situation = (): string => `${this.stopped}|${state.idvId}|${this.paused()}`;
    while (!this.stopped) {
      const before = situation();
      const next = this.paused() ? undefined : this.next(deadlineAt);
      if (next === undefined) {
        await condition(() => situation() !== before);
        continue;
      }
      const changed = await condition(() => situation() !== before, Math.max(0, next.at - Date.now()));
      if (changed || this.stopped || this.paused()) continue;
      const { idvId, customerUrl } = state;
      if (idvId === undefined || customerUrl === undefined) continue;
      await this.deps.send({
        number: next.number,
        idvId,
        customerUrl,
        validUntil: new Date(deadlineAt).toISOString(),
      });
      // Recorded once sent: a continuation during the callback sends it again under the same event id, which
      // the backend dedupes (callbacks are at least once).
      state.remindersSent = [
        ...(state.remindersSent ?? []),
        { number: next.number, idvId, sentAt: this.deps.now() },
      ];
    }
  }
}
