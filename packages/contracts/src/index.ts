export * from './envelope';
export * from './events';
export * from './parse';
export * from './streams';
