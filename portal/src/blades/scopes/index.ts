export { ManagementGroups, ResourceGroups, Subscriptions } from './Scopes.tsx';
export { inheritedLabel, levelName, scopeCrumbs, scopeLevel, scopeName, scopeNav } from './scope-names.ts';
