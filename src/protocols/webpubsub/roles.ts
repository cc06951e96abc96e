/**
 * Client token roles → initial connection permissions (reference §3.2):
 *   webpubsub.joinLeaveGroup / webpubsub.sendToGroup            every group
 *   webpubsub.joinLeaveGroup.<group> / webpubsub.sendToGroup.<group>   one literal group
 *   webpubsub.joinLeaveGroups.<pattern> / webpubsub.sendToGroups.<pattern>  wildcard pattern
 * Unknown roles are ignored (custom roles are legal and passed to upstream handlers).
 */
import type { GroupAction, PermissionSet } from '../../messaging/index.ts';

const ROLE = /^webpubsub\.(joinLeaveGroups?|sendToGroups?)(?:\.(.+))?$/s;

export function applyRoles(perms: PermissionSet, roles: readonly string[]): void {
  for (const role of roles) {
    const grant = roleGrant(role);
    if (grant === null) continue;
    if (grant.matcher) perms.grantMatching(grant.action, grant.matcher, role);
    else perms.grant(grant.action, grant.group);
  }
}

/** What one role grants: an action on every group, on one group, or on the groups a pattern matches. */
interface RoleGrant {
  action: GroupAction;
  group?: string;
  matcher?: (group: string) => boolean;
}

/**
 * Roles parsed once per distinct text (every connection of an application carries the same few
 * roles): the regular expression and a pattern's compilation are not redone per connection.
 * Bounded: a full table starts over. null: a role that grants nothing.
 */
const grants = new Map<string, RoleGrant | null>();

function roleGrant(role: string): RoleGrant | null {
  let grant = grants.get(role);
  if (grant === undefined) {
    grant = parseRole(role);
    if (role.length <= 256) {
      if (grants.size >= 1024) grants.clear();
      grants.set(role, grant);
    }
  }
  return grant;
}

function parseRole(role: string): RoleGrant | null {
  const m = ROLE.exec(role);
  if (!m) return null;
  const word = m[1]!;
  const target = m[2];
  const action: GroupAction = word.startsWith('joinLeave') ? 'joinLeaveGroup' : 'sendToGroup';
  const plural = word.endsWith('s');
  if (target === undefined) return plural ? null : { action };
  if (!plural) return { action, group: target };
  const matcher = compileGroupPattern(target);
  return matcher ? { action, matcher } : null;
}

/**
 * Wildcard group pattern (concept-wildcard-group-roles): `?` one char except `.`, `*` any run
 * except `.`, `**` any run including `.`, `\` escapes `\ * ?`. At most 5 `*`; case-sensitive.
 * Returns undefined for an invalid pattern (the role is then ignored).
 */
export function compileGroupPattern(pattern: string): ((group: string) => boolean) | undefined {
  let re = '';
  let stars = 0;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next !== '\\' && next !== '*' && next !== '?') return undefined;
      re += escapeRegex(next);
      i++;
    } else if (ch === '*') {
      stars++;
      if (pattern[i + 1] === '*') {
        re += '.*';
        i++;
      } else {
        re += '[^.]*';
      }
    } else if (ch === '?') {
      re += '[^.]';
    } else {
      re += escapeRegex(ch);
    }
  }
  if (stars > 5) return undefined;
  const compiled = new RegExp(`^${re}$`, 's');
  return (group) => compiled.test(group);
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
