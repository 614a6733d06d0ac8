import { compare } from './compare.ts';
import { outcome } from './condition-variable.ts';
import type { Handler } from './handler.ts';

/** Calendar fields of an instant in a time zone; null when the zone is unknown. */
export function calendarOf(epochMs: number, timeZone: string) {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    }).formatToParts(epochMs);
  } catch {
    return null;
  }
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? '';
  const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  return {
    minute: Number(get('minute')),
    hour: Number(get('hour')) % 24,
    day: Number(get('day')),
    month: Number(get('month')),
    weekday: weekdays.indexOf(get('weekday')),
  };
}

/**
 * `condition_datetime`: every set field must satisfy `option OP now` in the option's time zone,
 * and `weekdays`, when non-empty, must contain today (SPEC 3.1).
 */
export const conditionDatetimeHandler: Handler<'condition_datetime'> = ({ option, ctx }) => {
  const now = calendarOf(ctx.now, option.timezone);
  if (!now) return { kind: 'end', reason: 'error', detail: `unknown timezone "${option.timezone}"` };
  const failed: string[] = [];
  for (const field of ['minute', 'hour', 'day', 'month'] as const) {
    const wanted = option[field];
    if (wanted >= 0 && !compare(wanted, option.condition, now[field])) {
      failed.push(`${field} ${wanted} ${option.condition} ${now[field]}`);
    }
  }
  if (option.weekdays.length > 0 && !option.weekdays.includes(now.weekday)) {
    failed.push(`weekday ${now.weekday} not in [${option.weekdays.join(',')}]`);
  }
  const shown = failed.length ? failed.join('; ') : `all fields hold in ${option.timezone}`;
  return outcome(failed.length === 0, shown, option.false_target_id);
};
