export { armRoutes } from './routes.ts';
export type { ArmDeps } from './routes.ts';
export { ArmError, SUPPORTED_API_VERSIONS } from './errors.ts';
export { ARM_AUDIENCES, authenticateArm } from './auth.ts';
export type { ArmCaller } from './auth.ts';
export { directoryPrincipalResolver } from './principals.ts';
export { roleAssignmentJson, roleDefinitionJson, roleDefinitionResourceId } from './shapes.ts';
export { webPubSubArm, webPubSubJson, hubJson, keysJson, WEBPUBSUB_API_VERSIONS, WPS_ACTION } from './webpubsub.ts';
