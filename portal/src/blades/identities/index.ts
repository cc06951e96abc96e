export { CreateIdentity, ManagedIdentities, REGIONS, resourceGroupName } from './ManagedIdentities.tsx';
export { IdentityOverview } from './IdentityOverview.tsx';
