// Wire timestamps without reading the clock: the engine formats the `now` it is given.

/** `00` to `59`: the two-digit fields of a date and a time of day. */
const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));

/**
 * Formats epoch milliseconds as the wire's UTC `YYYY-MM-DD HH:MM:SS.ffffff`; a fractional
 * millisecond gives the microseconds (epoch microseconds stay exact below 2^53).
 */
export function formatTimestamp(epochMs: number): string {
  const totalMicros = Math.round(epochMs * 1000);
  const days = Math.floor(totalMicros / 86_400_000_000);
  const microsOfDay = totalMicros - days * 86_400_000_000;
  const { year, month, day } = civilFromDays(days);
  const secondsOfDay = Math.floor(microsOfDay / 1_000_000);
  const hh = Math.floor(secondsOfDay / 3600);
  const mm = Math.floor((secondsOfDay % 3600) / 60);
  const ss = secondsOfDay % 60;
  // 1,000,000 + micros has seven digits: the last six are the zero-padded microseconds.
  const micros = String(1_000_000 + (microsOfDay % 1_000_000)).slice(1);
  return `${String(year).padStart(4, '0')}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]} ${TWO_DIGITS[hh]}:${TWO_DIGITS[mm]}:${TWO_DIGITS[ss]}.${micros}`;
}

/** Parses a wire timestamp back to epoch milliseconds (microseconds become the fraction). */
export function parseTimestamp(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac] = m;
  const days = daysFromCivil(Number(y), Number(mo), Number(d));
  const millis = Number((frac ?? '0').padEnd(6, '0')) / 1000;
  return days * 86_400_000 + Number(h) * 3_600_000 + Number(mi) * 60_000 + Number(s) * 1000 + millis;
}

// Howard Hinnant's days<->civil algorithms for the proleptic Gregorian calendar.
function civilFromDays(z0: number) {
  const z = z0 + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function daysFromCivil(year0: number, month: number, day: number): number {
  const year = month <= 2 ? year0 - 1 : year0;
  const era = Math.floor(year / 400);
  const yoe = year - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
