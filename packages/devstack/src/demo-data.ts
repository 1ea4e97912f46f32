/**
 * The demo data a local stack starts with, so the README's examples work: the demo price book
 * (orders) and the demo hubs with their stock (fulfillment). deploy/k8s leaves every one of these
 * off (deploy/test/k8s.test.ts checks).
 */
export const DEMO_DATA = { SEED_DEMO_PRICE_BOOK: 'true', SEED_DEMO_HUBS: 'true' } as const;
