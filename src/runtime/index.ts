export { Runtime, type RuntimeOptions, type TranslateFn } from './runtime.ts';
export { AddressPool } from './address-pool.ts';
