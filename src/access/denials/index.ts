/** "Why was this denied": the per-node ring of 401/403 records and their explanations. */
export { DenialLog, DEFAULT_DENIAL_CAPACITY, ROLE_ASSIGNMENTS_READ } from './denial-log.ts';
export type { DenialLogDeps, DenialReceipt } from './denial-log.ts';
export type { DenialInput, DenialRecord, DenialSurface, TokenFailure } from './types.ts';
export { redactClaims, redactPath } from './redact.ts';
export { nearestMissingAssignment, assignmentScopeFor } from './suggest.ts';
export type { MissingAssignment } from './suggest.ts';
export { DENIAL_HEADER, claimedPrincipal, tokenFailureOf, unverifiedClaims } from './surface.ts';
