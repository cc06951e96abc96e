export { graphRoutes, GRAPH_AUDIENCES } from './routes.ts';
export { GraphError } from './errors.ts';
