import type { Store } from '../store/types.ts';
import type { PrincipalResolver, RoleAssignment, RoleDefinition } from './model.ts';
import type { AccessRecords } from './records.ts';
import type { WriteContext } from './saves.ts';
import type { ScopeTree } from './scope-tree.ts';

/**
 * What AccessControl shares with its operation files (definition-ops.ts, assignment-ops.ts):
 * the in-memory records and the write context. The scope tree is a getter because
 * setScopeTree replaces it, and the operations must always see the current one.
 */
export interface AccessState {
  readonly store: Store;
  readonly records: AccessRecords;
  readonly writes: WriteContext;
  readonly defs: Map<string, RoleDefinition>;
  readonly assignments: Map<string, RoleAssignment>;
  readonly byPrincipal: Map<string, RoleAssignment[]>;
  readonly resolvePrincipal: PrincipalResolver;
  readonly tenantId: string;
  tree(): ScopeTree;
}
