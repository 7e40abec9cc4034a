/** The lifecycle periods as configuration reads them: durations with a unit, plain days, `off`, and refusals. */
import { ConfigError, loadConfig } from '../../config';

const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;

describe('lifecycle configuration', () => {
  it('has defaults: a 30-day lead, retention of 5 years, 1 year and 90 days', () => {
    expect(loadConfig({}).lifecycle).toEqual({
      reverificationLeadMs: 30 * DAY,
      retentionMs: { approved: 1825 * DAY, rejected: 365 * DAY, unfinished: 90 * DAY },
    });
  });

  it('reads units, plain days, fractions and off (0 is off too)', () => {
    const { lifecycle } = loadConfig({
      REVERIFICATION_LEAD: '12h',
      RETENTION_APPROVED: 'off',
      RETENTION_REJECTED: '45s',
      RETENTION_UNFINISHED: '0',
    });
    expect(lifecycle).toEqual({
      reverificationLeadMs: 12 * 60 * 60 * SECOND,
      retentionMs: { rejected: 45 * SECOND },
    });
    expect(loadConfig({ RETENTION_APPROVED: '7', REVERIFICATION_LEAD: '1.5d' }).lifecycle).toMatchObject({
      reverificationLeadMs: 1.5 * DAY,
      retentionMs: { approved: 7 * DAY },
    });
    expect(loadConfig({ RETENTION_REJECTED: '90m' }).lifecycle.retentionMs.rejected).toBe(90 * 60 * SECOND);
  });

  it('refuses what is not a duration, naming the variable', () => {
    for (const [name, value] of [
      ['RETENTION_APPROVED', '5 years'],
      ['RETENTION_REJECTED', '-1d'],
      ['REVERIFICATION_LEAD', 'off'],
    ]) {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
    }
  });
});
