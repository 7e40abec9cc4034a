/**
 * A fictional customer, in Ondato's registration format, for the demo, the tests and the benchmarks. The
 * simulator copies registration data onto the document it makes up, so this customer's data "matches".
 */
export const SAMPLE_REGISTRATION = {
  firstName: 'Ona',
  lastName: 'Petraitė',
  dateOfBirth: '1988-02-29',
  email: 'ona@example.com',
  personalCode: '48802290000',
  phoneNumber: 37060000000,
  countryCode: 'LT',
};
