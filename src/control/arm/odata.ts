import { isGuid } from '../../access/index.ts';
import { ARM } from './errors.ts';

/**
 * The `$filter` forms ARM takes on Microsoft.Authorization lists, joined by `and`:
 * role assignments `atScope()`, `principalId eq '{id}'`, `assignedTo('{id}')`;
 * role definitions `roleName eq '{name}'`, `type eq 'BuiltInRole'|'CustomRole'`, `atScopeAndBelow()`.
 */
export interface AssignmentFilter { atScope: boolean; principalId?: string }
export interface DefinitionFilter { roleName?: string; type?: 'BuiltInRole' | 'CustomRole'; atScopeAndBelow: boolean }

const MAX_FILTER = 1024;
const STRING = String.raw`'((?:[^']|'')*)'`;

/** Splits on ` and ` outside quoted strings (a role name may contain the word). */
function clauses(filter: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < filter.length; i++) {
    if (filter[i] === "'") quoted = !quoted;
    else if (!quoted && /\s/.test(filter[i]!)) {
      const m = /^\s+and\s+/i.exec(filter.slice(i));
      if (!m) continue;
      out.push(filter.slice(start, i));
      i += m[0].length - 1;
      start = i + 1;
    }
  }
  out.push(filter.slice(start));
  return out.map((c) => c.trim()).filter(Boolean);
}

const unquote = (s: string) => s.replace(/''/g, "'");

export function parseAssignmentFilter(filter: string | undefined): AssignmentFilter {
  const out: AssignmentFilter = { atScope: false };
  if (filter === undefined || filter.trim() === '') return out;
  const supported = "atScope(), principalId eq '{objectId}', assignedTo('{objectId}')";
  if (filter.length > MAX_FILTER) throw ARM.invalidFilter(filter, supported);
  for (const c of clauses(filter)) {
    let m: RegExpExecArray | null;
    if (/^atScope\(\)$/i.test(c)) out.atScope = true;
    else if ((m = new RegExp(`^principalId\\s+eq\\s+${STRING}$`, 'i').exec(c)) || (m = new RegExp(`^assignedTo\\(${STRING}\\)$`, 'i').exec(c))) {
      const id = unquote(m[1]!);
      if (!isGuid(id)) throw ARM.badRequest(`The principal id '${id.slice(0, 100)}' in $filter is not a GUID.`);
      if (out.principalId && out.principalId !== id.toLowerCase()) throw ARM.invalidFilter(filter, supported);
      out.principalId = id.toLowerCase();
    } else throw ARM.invalidFilter(filter, supported);
  }
  return out;
}

export function parseDefinitionFilter(filter: string | undefined): DefinitionFilter {
  const out: DefinitionFilter = { atScopeAndBelow: false };
  if (filter === undefined || filter.trim() === '') return out;
  const supported = "roleName eq '{name}', type eq 'BuiltInRole'|'CustomRole', atScopeAndBelow()";
  if (filter.length > MAX_FILTER) throw ARM.invalidFilter(filter, supported);
  for (const c of clauses(filter)) {
    let m: RegExpExecArray | null;
    if (/^atScopeAndBelow\(\)$/i.test(c)) out.atScopeAndBelow = true;
    else if ((m = new RegExp(`^roleName\\s+eq\\s+${STRING}$`, 'i').exec(c))) out.roleName = unquote(m[1]!);
    else if ((m = /^type\s+eq\s+'(BuiltInRole|CustomRole)'$/i.exec(c))) out.type = m[1]!.toLowerCase() === 'builtinrole' ? 'BuiltInRole' : 'CustomRole';
    else throw ARM.invalidFilter(filter, supported);
  }
  return out;
}
