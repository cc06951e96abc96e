export { KeyVaults } from './KeyVaults.tsx';
export { VaultBlade } from './VaultBlade.tsx';
