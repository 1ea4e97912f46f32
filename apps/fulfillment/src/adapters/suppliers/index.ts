export * from './aliexpress';
export * from './cj';
export * from './clients';
export * from './env';
export * from './spocket';
export * from './supplier-client';
