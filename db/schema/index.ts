export * from './hub';
export * from './auth';
export * from './audit';
export * from './sync';
export * from './inbox';
export * from './outbox';
export * from './scim';
export * from './notifications';
