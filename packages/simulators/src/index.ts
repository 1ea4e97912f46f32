export * from './context';
export * from './control';
export * from './defaults';
export * from './server';
