/**
 * What the simulated Ondato API accepts, written from Ondato's documentation rather than shared with the
 * client, so a client bug (say, a phone number sent as a string) is caught the way Ondato would catch it.
 */
import { z } from 'zod';

const optionalText = (max: number) => z.string().max(max).nullish();

export const registrationInputSchema = z.looseObject({
  firstName: optionalText(100),
  middleName: optionalText(100),
  lastName: optionalText(100),
  dateOfBirth: z.iso.date().nullish(),
  email: optionalText(254),
  personalCode: optionalText(50),
  /** Ondato wants digits as a JSON number, without `+`. */
  phoneNumber: z.number().int().nonnegative().nullish(),
  countryCode: z
    .string()
    .regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2, upper case')
    .nullish(),
});
export type RegistrationInput = z.infer<typeof registrationInputSchema>;

export const createIdvInputSchema = z.looseObject({
  setupId: z.uuid(),
  externalReferenceId: optionalText(255),
  registration: registrationInputSchema.nullish(),
});
export type CreateIdvInput = z.infer<typeof createIdvInputSchema>;

/** OAuth2 token request, form-encoded; client credentials may come in the form or as Basic auth instead. */
export const tokenFormSchema = z.looseObject({
  grant_type: z.string().optional(),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  scope: z.string().optional(),
});
export type TokenForm = z.infer<typeof tokenFormSchema>;
