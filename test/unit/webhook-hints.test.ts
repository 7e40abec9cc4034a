/** What a lean run makes of the webhooks that woke a wait: fetch, skip, or take the hint's KYC id. */
import { customerWaitStep, reviewWaitNeedsFetch, type ReceivedHint } from '../../workflows/webhook-hints';

const idv = (status?: string, kycId?: string): ReceivedHint => ({
  type: 'IdentityVerification.StatusChanged',
  ...(status ? { status } : {}),
  ...(kycId ? { kycId } : {}),
});
const kyc = (status?: string): ReceivedHint => ({
  type: 'KycIdentification.Created',
  kycId: 'kyc-1',
  ...(status ? { status } : {}),
});

describe('customerWaitStep', () => {
  it('takes an IDV webhook saying Completed with its KYC id as the finished customer', () => {
    expect(
      customerWaitStep({ reason: 'webhook', hints: [idv('InProgress'), idv('Completed', 'kyc-1')] }, false),
    ).toEqual({
      kind: 'finished',
      kycId: 'kyc-1',
    });
  });

  it('fetches on a Completed IDV without a KYC id (the id may appear a moment later)', () => {
    expect(customerWaitStep({ reason: 'webhook', hints: [idv('Completed')] }, false)).toEqual({
      kind: 'fetch',
    });
  });

  it('fetches on the session ending, a KYC webhook, a hint without a status, or dropped hints', () => {
    for (const hints of [
      [idv('Expired')],
      [idv('Aborted')],
      [kyc('Awaiting')],
      [idv()],
      [{ type: 'hints.dropped' }],
    ]) {
      expect(customerWaitStep({ reason: 'webhook', hints }, false)).toEqual({ kind: 'fetch' });
    }
  });

  it('skips the fetch when every webhook names a status that cannot end the wait', () => {
    expect(
      customerWaitStep({ reason: 'webhook', hints: [idv('Pending'), idv('InProgress')] }, false),
    ).toEqual({
      kind: 'skip',
    });
    expect(customerWaitStep({ reason: 'webhook', hints: [idv('SomethingNew')] }, false)).toEqual({
      kind: 'skip',
    });
  });

  it('skips the first check of a new IDV, fetches the first check of a continued wait', () => {
    expect(customerWaitStep({ reason: 'began', hints: [] }, true)).toEqual({ kind: 'skip' });
    expect(customerWaitStep({ reason: 'began', hints: [] }, false)).toEqual({ kind: 'fetch' });
    expect(customerWaitStep({ reason: 'began', hints: [idv('Expired')] }, true)).toEqual({ kind: 'fetch' });
  });

  it('always fetches on the poll tick (the fallback for lost webhooks), whatever the hints said', () => {
    expect(customerWaitStep({ reason: 'poll', hints: [] }, false)).toEqual({ kind: 'fetch' });
    expect(customerWaitStep({ reason: 'poll', hints: [idv('Completed', 'kyc-1')] }, false)).toEqual({
      kind: 'fetch',
    });
  });
});

describe('reviewWaitNeedsFetch', () => {
  it('fetches when a KYC webhook may carry the decision', () => {
    expect(reviewWaitNeedsFetch({ reason: 'webhook', hints: [kyc('Approved')] })).toBe(true);
    expect(reviewWaitNeedsFetch({ reason: 'webhook', hints: [kyc()] })).toBe(true);
    expect(reviewWaitNeedsFetch({ reason: 'began', hints: [kyc('Awaiting'), kyc('Rejected')] })).toBe(true);
    expect(reviewWaitNeedsFetch({ reason: 'webhook', hints: [{ type: 'hints.dropped' }] })).toBe(true);
  });

  it('does not fetch again for Awaiting or IDV webhooks, nor when the wait begins (just fetched)', () => {
    expect(
      reviewWaitNeedsFetch({ reason: 'webhook', hints: [kyc('Awaiting'), idv('Completed', 'kyc-1')] }),
    ).toBe(false);
    expect(reviewWaitNeedsFetch({ reason: 'began', hints: [] })).toBe(false);
  });

  it('always fetches on the poll tick', () => {
    expect(reviewWaitNeedsFetch({ reason: 'poll', hints: [] })).toBe(true);
  });
});
