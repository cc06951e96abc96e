export type { Backplane, BackplaneNode } from './types.ts';
export { InProcessBackplane } from './in-process.ts';
