export { CheckAccess, type CheckPrefill, suggestRole } from './CheckAccess.tsx';
export { commonOperations } from './operations.ts';
