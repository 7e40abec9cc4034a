/**
 * A birth date as one regular expression: a real calendar date (leap years included) from 1900-01-01 up to a
 * given day. A regex rather than a refinement, so the OpenAPI document carries the whole rule (a schema-driven
 * client or fuzzer then generates only dates the API accepts). The API builds it for the day it starts; a
 * process running for months refuses birth dates after that day, which no onboarding meets in practice.
 */
const FIRST_YEAR = 1900;

const pad = (value: number): string => String(value).padStart(2, '0');
const either = (parts: string[]): string => (parts.length === 1 ? parts[0] : `(?:${parts.join('|')})`);

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days 01..last of a month, as a compact alternation. */
function daysUpTo(last: number): string {
  const parts: string[] = [];
  const tensFull = Math.floor(last / 10);
  // 01-09, then full decades 10-19, 20-29, then the tail (e.g. 30-31).
  parts.push(last >= 9 ? '0[1-9]' : `0[1-${last}]`);
  if (tensFull >= 2) parts.push(tensFull === 2 ? '1\\d' : `[1-${tensFull - 1}]\\d`);
  if (tensFull >= 1 && last >= 10) {
    const tail = last % 10;
    parts.push(tail === 9 ? `${tensFull}\\d` : tail === 0 ? `${tensFull}0` : `${tensFull}[0-${tail}]`);
  }
  return either(last >= 10 ? parts : [parts[0]]);
}

/** Month-day pairs of the first `months` months, Feb up to the 28th (the 29th is handled with the year). */
function monthDays(months: number): string {
  const parts: string[] = [];
  for (let month = 1; month <= months; month += 1) {
    const days = month === 2 ? 28 : [4, 6, 9, 11].includes(month) ? 30 : 31;
    parts.push(`${pad(month)}-${daysUpTo(days)}`);
  }
  return either(parts);
}

/** Years from..to (inclusive), grouped by decade so the expression stays short. */
function yearsBetween(from: number, to: number): string {
  const parts: string[] = [];
  let year = from;
  while (year <= to) {
    const decadeEnd = year - (year % 10) + 9;
    if (year % 100 === 0 && year + 99 <= to) {
      parts.push(`${String(year).slice(0, 2)}\\d\\d`);
      year += 100;
    } else if (year % 10 === 0 && decadeEnd <= to) {
      parts.push(`${String(year).slice(0, 3)}\\d`);
      year = decadeEnd + 1;
    } else {
      const last = Math.min(decadeEnd, to);
      parts.push(last === year ? String(year) : `${String(year).slice(0, 3)}[${year % 10}-${last % 10}]`);
      year = last + 1;
    }
  }
  return either(parts);
}

/** `YYYY-MM-DD` dates from 1900-01-01 to `until` (UTC day), both included. */
export function birthDatePattern(until: Date): RegExp {
  const year = until.getUTCFullYear();
  const month = until.getUTCMonth() + 1;
  const day = until.getUTCDate();
  const alternatives: string[] = [];
  const leapYears: number[] = [];
  for (let y = FIRST_YEAR; y < year; y += 1) if (isLeap(y)) leapYears.push(y);
  if (year > FIRST_YEAR) alternatives.push(`${yearsBetween(FIRST_YEAR, year - 1)}-${monthDays(12)}`);
  if (leapYears.length > 0) alternatives.push(`${either(leapYears.map(String))}-02-29`);
  // The current year: whole months before this one, then this month up to today.
  if (month > 1) alternatives.push(`${year}-${monthDays(month - 1)}`);
  alternatives.push(`${year}-${pad(month)}-${daysUpTo(day)}`);
  if (isLeap(year) && (month > 2 || (month === 2 && day === 29))) alternatives.push(`${year}-02-29`);
  return new RegExp(`^${either(alternatives)}$`);
}
