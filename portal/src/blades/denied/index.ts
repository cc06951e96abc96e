export { Denied } from './Denied.tsx';
export { DenialList } from './DenialList.tsx';
