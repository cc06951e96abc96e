export { Identity } from './Identity.tsx';
export { Keys } from './Keys.tsx';
export { ServiceOverview } from './ServiceOverview.tsx';
export { Settings } from './Settings.tsx';
export { Explorer } from './Explorer.tsx';
export { LiveTrace } from './LiveTrace.tsx';
export { Upstream } from './Upstream.tsx';
