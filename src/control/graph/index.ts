export { graphRoutes } from './routes.ts';
export { GraphError } from './errors.ts';
