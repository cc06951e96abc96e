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
    const m = ROLE.exec(role);
    if (!m) continue;
    const word = m[1]!;
    const target = m[2];
    const action: GroupAction = word.startsWith('joinLeave') ? 'joinLeaveGroup' : 'sendToGroup';
    const plural = word.endsWith('s');
    if (target === undefined) {
      if (!plural) perms.grant(action);
      continue;
    }
    if (plural) {
      const matcher = compileGroupPattern(target);
      if (matcher) perms.grantMatching(action, matcher, role);
    } else {
      perms.grant(action, target);
    }
  }
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
