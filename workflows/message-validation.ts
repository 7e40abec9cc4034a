/**
 * Validators of the workflow's update inputs. They run before an update is accepted, so a refused request
 * leaves no trace in history; the messages name the problem, never the submitted values.
 */
import type { ReviewInput } from '../contract';

export function validateRequester(input: { requestedBy?: unknown } | undefined): void {
  if (!input || typeof input.requestedBy !== 'string' || input.requestedBy.trim() === '') {
    throw new Error('requestedBy is required');
  }
}

export function validateReview(input: ReviewInput): void {
  if (!input || typeof input.reviewerId !== 'string' || input.reviewerId.trim() === '') {
    throw new Error('reviewerId is required');
  }
  if (input.decision !== 'approved' && input.decision !== 'rejected') {
    throw new Error('decision must be "approved" or "rejected"');
  }
  if (input.note !== undefined && (typeof input.note !== 'string' || input.note.length > 2000)) {
    throw new Error('note must be a string of at most 2000 characters');
  }
}
