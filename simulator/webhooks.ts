/**
 * Delivers webhooks the way Ondato does: JSON envelopes POSTed with Basic auth (and optionally an
 * `Ondato-Signature` HMAC), 2xx = delivered, otherwise retried on Ondato's schedule (10 s, 30 s, 1 m, 5 m, 10 m,
 * 30 m, 1 h, 3 h, 6 h, then every 12 h; at most 30 attempts within 24 h), compressed by `timeScale`. Switches
 * reproduce what real receivers must survive: duplicates, reordering, loss.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { WebhookSettingsUpdate } from './control-schemas';
import type { Logger } from './log';

export interface WebhookOptions {
  url?: string;
  username: string;
  password: string;
  hmacSecret?: string;
  /** 1 = Ondato's real schedule; 0.001 turns 10 s into 10 ms. */
  timeScale?: number;
  /** Every event is delivered twice (same event id). */
  duplicate?: boolean;
  /** The events of one completion go out last first. */
  reorder?: boolean;
  /** Events are never delivered (logged as dropped). */
  drop?: boolean;
}

export interface WebhookEvent {
  type: string;
  payload: Record<string, unknown>;
  idvId: string;
  kycId?: string;
}

export type DeliveryState =
  'pending' | 'retrying' | 'delivered' | 'failed' | 'dropped' | 'disabled' | 'cancelled';

export interface WebhookDelivery {
  eventId: string;
  /** 0 for the event, 1 for its duplicate. */
  copy: number;
  type: string;
  idvId: string;
  kycId: string | null;
  createdUtc: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  state: DeliveryState;
  delivered: boolean;
  deliveredUtc: string | null;
  nextAttemptUtc: string | null;
}

export interface WebhookSettingsView {
  url: string | null;
  username: string | null;
  hmac: boolean;
  timeScale: number;
  duplicate: boolean;
  reorder: boolean;
  drop: boolean;
}

export const RETRY_DELAYS_SECONDS = [10, 30, 60, 300, 600, 1800, 3600, 10_800, 21_600] as const;
const LATER_RETRY_DELAY_SECONDS = 43_200;
const MAX_ATTEMPTS = 30;
const MAX_AGE_SECONDS = 86_400;
const RESPONSE_TIMEOUT_SECONDS = 30;
/** Compressed schedules still give a loopback receiver this long to answer. */
const MIN_RESPONSE_TIMEOUT_MS = 1_000;
const MAX_LOGGED_DELIVERIES = 10_000;

interface Settings {
  url: string | null;
  username: string | null;
  password: string | null;
  hmacSecret: string | null;
  timeScale: number;
  duplicate: boolean;
  reorder: boolean;
  drop: boolean;
}

interface QueuedDelivery {
  record: WebhookDelivery;
  body: string;
  firstAttemptAt: number;
}

export class WebhookDispatcher {
  private settings: Settings;
  private readonly log: WebhookDelivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly closing = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private attemptCount = 0;
  private deliveredCount = 0;

  constructor(
    options: WebhookOptions | undefined,
    private readonly applicationId: string,
    private readonly logEvent: Logger,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.settings = {
      url: options?.url ?? null,
      username: options?.username ?? null,
      password: options?.password ?? null,
      hmacSecret: options?.hmacSecret ?? null,
      timeScale: options?.timeScale ?? 1,
      duplicate: options?.duplicate ?? false,
      reorder: options?.reorder ?? false,
      drop: options?.drop ?? false,
    };
  }

  /** Sends the events of one state change, in order (unless `reorder`), one after the other. */
  publish(events: WebhookEvent[]): void {
    if (this.closing.signal.aborted || events.length === 0) return;
    const createdUtc = new Date().toISOString();
    const envelopes = events.map((event) => ({
      event,
      envelope: {
        id: randomUUID(),
        applicationId: this.applicationId,
        createdUtc,
        type: event.type,
        payload: event.payload,
      },
    }));
    if (this.settings.reorder) envelopes.reverse();
    const copies = this.settings.duplicate ? [0, 1] : [0];
    const queue: QueuedDelivery[] = envelopes.flatMap(({ event, envelope }) =>
      copies.map((copy) => ({
        record: this.record(envelope.id, copy, event, createdUtc),
        body: JSON.stringify(envelope),
        firstAttemptAt: Date.now(),
      })),
    );

    if (this.settings.drop || !this.settings.url) {
      const state: DeliveryState = this.settings.drop ? 'dropped' : 'disabled';
      for (const { record } of queue) {
        record.state = state;
        this.logEvent(`webhook.${state}`, {
          eventId: record.eventId,
          type: record.type,
          idvId: record.idvId,
        });
      }
      return;
    }
    this.track(this.deliverInOrder(queue));
  }

  configure(update: WebhookSettingsUpdate): WebhookSettingsView {
    const next = { ...this.settings };
    if (update.url !== undefined) next.url = update.url;
    if (update.username !== undefined) next.username = update.username;
    if (update.password !== undefined) next.password = update.password;
    if (update.hmacSecret !== undefined) next.hmacSecret = update.hmacSecret;
    if (update.timeScale !== undefined) next.timeScale = update.timeScale;
    if (update.duplicate !== undefined) next.duplicate = update.duplicate;
    if (update.reorder !== undefined) next.reorder = update.reorder;
    if (update.drop !== undefined) next.drop = update.drop;
    this.settings = next;
    this.logEvent('webhook.configured', { ...this.view() });
    return this.view();
  }

  /** The settings without the password and the HMAC secret. */
  view(): WebhookSettingsView {
    const { url, username, hmacSecret, timeScale, duplicate, reorder, drop } = this.settings;
    return { url, username, hmac: hmacSecret !== null, timeScale, duplicate, reorder, drop };
  }

  deliveries(): WebhookDelivery[] {
    return this.log.map((record) => ({ ...record }));
  }

  counts(): { attempts: number; delivered: number } {
    return { attempts: this.attemptCount, delivered: this.deliveredCount };
  }

  /** Resolves once no delivery attempt is running (scheduled retries may remain). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Stops everything: pending retries are cancelled, running requests aborted. */
  close(): void {
    this.closing.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const record of this.log) {
      if (record.state === 'pending' || record.state === 'retrying') {
        record.state = 'cancelled';
        record.nextAttemptUtc = null;
      }
    }
  }

  private record(eventId: string, copy: number, event: WebhookEvent, createdUtc: string): WebhookDelivery {
    const record: WebhookDelivery = {
      eventId,
      copy,
      type: event.type,
      idvId: event.idvId,
      kycId: event.kycId ?? null,
      createdUtc,
      attempts: 0,
      lastStatus: null,
      lastError: null,
      state: 'pending',
      delivered: false,
      deliveredUtc: null,
      nextAttemptUtc: null,
    };
    this.log.push(record);
    if (this.log.length > MAX_LOGGED_DELIVERIES) this.log.splice(0, this.log.length - MAX_LOGGED_DELIVERIES);
    return record;
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** First attempts go out one by one, so the receiver sees them in the intended order. */
  private async deliverInOrder(queue: QueuedDelivery[]): Promise<void> {
    for (const delivery of queue) await this.attempt(delivery);
  }

  private async attempt(delivery: QueuedDelivery): Promise<void> {
    if (this.closing.signal.aborted) return;
    const { record } = delivery;
    const { url, username, password, hmacSecret, timeScale } = this.settings;
    record.attempts += 1;
    record.nextAttemptUtc = null;
    this.attemptCount += 1;
    const startedAt = Date.now();
    let status: number | null = null;
    let error: string | null = null;

    if (!url) {
      error = 'no webhook url';
    } else {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (username !== null && password !== null) {
        headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
      }
      if (hmacSecret !== null) headers['ondato-signature'] = signature(hmacSecret, delivery.body);
      const timeoutMs = Math.max(MIN_RESPONSE_TIMEOUT_MS, RESPONSE_TIMEOUT_SECONDS * 1000 * timeScale);
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        const response = await this.fetchImpl(url, {
          method: 'POST',
          headers,
          body: delivery.body,
          signal: AbortSignal.any([timeout, this.closing.signal]),
        });
        status = response.status;
        await response.arrayBuffer().catch(() => undefined);
      } catch {
        error = timeout.aborted ? 'timeout' : this.closing.signal.aborted ? 'cancelled' : 'network';
      }
    }

    record.lastStatus = status;
    record.lastError = error;
    const delivered = status !== null && status >= 200 && status < 300;
    this.logEvent('webhook.attempt', {
      eventId: record.eventId,
      copy: record.copy,
      type: record.type,
      idvId: record.idvId,
      attempt: record.attempts,
      status,
      error,
      durationMs: Date.now() - startedAt,
    });
    if (delivered) {
      record.state = 'delivered';
      record.delivered = true;
      record.deliveredUtc = new Date().toISOString();
      this.deliveredCount += 1;
      return;
    }
    if (this.closing.signal.aborted) {
      record.state = 'cancelled';
      return;
    }
    this.scheduleRetry(delivery);
  }

  private scheduleRetry(delivery: QueuedDelivery): void {
    const { record } = delivery;
    const { timeScale } = this.settings;
    const delaySeconds = RETRY_DELAYS_SECONDS[record.attempts - 1] ?? LATER_RETRY_DELAY_SECONDS;
    const delayMs = delaySeconds * 1000 * timeScale;
    const tooOld = Date.now() + delayMs - delivery.firstAttemptAt > MAX_AGE_SECONDS * 1000 * timeScale;
    if (record.attempts >= MAX_ATTEMPTS || tooOld) {
      record.state = 'failed';
      this.logEvent('webhook.gave_up', {
        eventId: record.eventId,
        type: record.type,
        attempts: record.attempts,
      });
      return;
    }
    record.state = 'retrying';
    record.nextAttemptUtc = new Date(Date.now() + delayMs).toISOString();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.track(this.attempt(delivery));
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }
}

/** `t=<unix seconds>, s=<hex HMAC-SHA256 of "<t>.<raw body>">`, fresh for every attempt. */
export function signature(secret: string, body: string, now: number = Date.now()): string {
  const timestamp = Math.floor(now / 1000);
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp}, s=${digest}`;
}
