/**
 * The activity log's `$filter` (Azure Monitor `eventtypes/management/values`, api-version
 * 2015-04-01): clauses joined by `and`, at least `eventTimestamp ge <time>`. Times may be quoted
 * (`'2026-01-01T00:00:00Z'`, what the SDKs send) or bare (what `az monitor activity-log list`
 * sends; a time without a zone is UTC, as az means it). Equality clauses take a quoted string.
 * Anything else is refused: a filter Lapis cannot honour is never silently ignored.
 */
export class ActivityFilterError extends Error {}

export interface ActivityFilter {
  from: number;
  to: number;
  resourceGroupName?: string;
  resourceId?: string;
  resourceProvider?: string;
  caller?: string;
  correlationId?: string;
  status?: string;
  operationName?: string;
  level?: string;
}

export const MAX_FILTER_LENGTH = 4096;
const EQUALITY: Record<string, keyof Omit<ActivityFilter, 'from' | 'to'> | null> = {
  resourcegroupname: 'resourceGroupName',
  resourceuri: 'resourceId',
  resourceid: 'resourceId',
  resourceprovider: 'resourceProvider',
  caller: 'caller',
  correlationid: 'correlationId',
  status: 'status',
  operationname: 'operationName',
  levels: 'level',
  // Accepted as Azure does; every Lapis event is on the Operation channel.
  eventchannels: null,
};

interface Token { kind: 'word' | 'string'; text: string }

function tokens(filter: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const ch = filter[i]!;
    if (/\s/.test(ch)) { i++; continue; }
    if (ch === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= filter.length) throw new ActivityFilterError('The $filter has an unterminated string.');
        if (filter[i] === "'") {
          if (filter[i + 1] === "'") { text += "'"; i += 2; continue; }
          i++;
          break;
        }
        text += filter[i++];
      }
      out.push({ kind: 'string', text });
      continue;
    }
    let j = i;
    while (j < filter.length && !/[\s']/.test(filter[j]!)) j++;
    out.push({ kind: 'word', text: filter.slice(i, j) });
    i = j;
  }
  return out;
}

function parseTime(text: string): number {
  // ISO 8601 only; az's isoformat() has no zone and up to 6 fraction digits: UTC, milliseconds kept.
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(text);
  if (!m) throw new ActivityFilterError(`'${text.slice(0, 60)}' is not an ISO 8601 time.`);
  const fraction = m[3] ? `.${m[3].padEnd(3, '0').slice(0, 3)}` : '';
  const zone = m[4] ?? 'Z';
  const t = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${fraction}${zone.toUpperCase()}`);
  if (Number.isNaN(t)) throw new ActivityFilterError(`'${text.slice(0, 60)}' is not a valid time.`);
  return t;
}

export function parseActivityFilter(filter: string | undefined, now = Date.now()): ActivityFilter {
  if (filter === undefined || filter.trim() === '') {
    throw new ActivityFilterError("The $filter query parameter is required and must contain 'eventTimestamp ge <time>'.");
  }
  if (filter.length > MAX_FILTER_LENGTH) throw new ActivityFilterError(`The $filter is longer than ${MAX_FILTER_LENGTH} characters.`);
  const t = tokens(filter);
  const out: ActivityFilter = { from: Number.NaN, to: now };
  let i = 0;
  for (;;) {
    const [name, op, value] = [t[i], t[i + 1], t[i + 2]];
    if (!name || !op || !value || name.kind !== 'word' || op.kind !== 'word') {
      throw new ActivityFilterError(`The $filter must be clauses '<field> <operator> <value>' joined by 'and' (near token ${i + 1}).`);
    }
    const field = name.text.toLowerCase();
    const operator = op.text.toLowerCase();
    if (field === 'eventtimestamp') {
      const time = parseTime(value.text);
      if (operator === 'ge' || operator === 'gt') out.from = time;
      else if (operator === 'le' || operator === 'lt') out.to = time;
      else throw new ActivityFilterError(`eventTimestamp takes ge, gt, le or lt, not '${op.text.slice(0, 20)}'.`);
    } else if (field in EQUALITY) {
      if (operator !== 'eq') throw new ActivityFilterError(`${name.text} takes eq, not '${op.text.slice(0, 20)}'.`);
      if (value.kind !== 'string') throw new ActivityFilterError(`The value of ${name.text} must be a quoted string.`);
      const key = EQUALITY[field];
      if (key) out[key] = value.text;
    } else {
      throw new ActivityFilterError(`'${name.text.slice(0, 60)}' cannot be filtered on. Supported: eventTimestamp, resourceGroupName, resourceUri, resourceId, resourceProvider, caller, correlationId, status, operationName, levels, eventChannels.`);
    }
    i += 3;
    if (i >= t.length) break;
    if (t[i]!.kind !== 'word' || t[i]!.text.toLowerCase() !== 'and') throw new ActivityFilterError(`Clauses of the $filter are joined by 'and' only (found '${t[i]!.text.slice(0, 20)}').`);
    i++;
  }
  if (Number.isNaN(out.from)) throw new ActivityFilterError("The $filter must contain 'eventTimestamp ge <time>'.");
  if (out.from > out.to) throw new ActivityFilterError('The start time of the $filter is after its end time.');
  return out;
}
