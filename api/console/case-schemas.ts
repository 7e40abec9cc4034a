/**
 * What the console reads out of a run's history, checked before use: payloads decrypt to whatever was written
 * there, by any version of the workflow, so fields are optional and unknown ones are dropped.
 */
import { z } from 'zod';

const text = z.string().optional();

export const registrationSchema = z.object({
  firstName: text,
  middleName: text,
  lastName: text,
  dateOfBirth: text,
  email: text,
  personalCode: text,
  phoneNumber: z.number().optional(),
  countryCode: text,
});
export type RegistrationView = z.output<typeof registrationSchema>;

export const workflowInputSchema = z.object({ registration: registrationSchema.optional() });

export const kycSummarySchema = z.object({
  kycId: z.string(),
  status: z.string(),
  statusReason: text,
  isCrossChecked: z.boolean().optional(),
  rules: z.array(z.object({ name: z.string(), status: z.string() })).catch([]),
  document: z
    .object({
      type: text,
      firstName: text,
      lastName: text,
      dateOfBirth: text,
      personalCode: text,
      dateOfExpiration: text,
    })
    .optional(),
});
export type KycSummaryView = z.output<typeof kycSummarySchema>;

/** The id fields of a relayed webhook signal and of a callback's event: types only are shown. */
export const webhookSignalSchema = z.object({ type: z.string() });
export const notifyInputSchema = z.object({ event: z.object({ type: z.string() }) });
export const notifyResultSchema = z.object({ delivered: z.boolean() });
