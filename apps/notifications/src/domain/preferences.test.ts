import { describe, expect, it } from 'vitest';
import { DEFAULT_CHANNELS, effectivePreferences, wantedChannels } from './preferences';

describe('default preferences (NTF-02)', () => {
  it('are exactly the default tables per channel', () => {
    const seed = { order_confirmed: 0, processing: 1, shipped: 2, out_for_delivery: 3, delivered: 4, delayed: 5, exception: 6, cancelled: 7 };
    const email = [true, true, true, true, true, true, true, true];
    const sms = [false, false, true, true, true, true, true, false];
    const push = [true, false, true, true, true, true, true, true];
    for (const [topic, index] of Object.entries(seed)) {
      expect(DEFAULT_CHANNELS.email[topic as 'shipped']).toBe(email[index]);
      expect(DEFAULT_CHANNELS.sms[topic as 'shipped']).toBe(sms[index]);
      expect(DEFAULT_CHANNELS.push[topic as 'shipped']).toBe(push[index]);
      // The silent feed keeps every topic (docs/in-app-feed.md).
      expect(DEFAULT_CHANNELS.in_app[topic as 'shipped']).toBe(true);
    }
  });

  it('take language, timezone and phone from the order when the customer chose none', () => {
    const preferences = effectivePreferences(null, { locale: 'ro', timezone: 'Europe/Bucharest', phone: '+40712345678' });
    expect(preferences).toMatchObject({ language: 'ro', timezone: 'Europe/Bucharest', phoneNumber: '+40712345678', quietHours: { start: '22:00', end: '08:00' }, customized: false });
    expect(effectivePreferences(null, null)).toMatchObject({ language: 'es', timezone: 'Europe/Madrid', phoneNumber: null });
  });

  it('pick channels per topic: confirmation by email, push and in the app, shipping everywhere', () => {
    const preferences = effectivePreferences(null, null);
    expect(wantedChannels(preferences, 'order_confirmed')).toEqual(['email', 'push', 'in_app']);
    expect(wantedChannels(preferences, 'shipped')).toEqual(['email', 'sms', 'push', 'in_app']);
    expect(wantedChannels(preferences, 'processing')).toEqual(['email', 'in_app']);
  });
});

describe('stored preferences', () => {
  it('override the defaults switch by switch, and may remove quiet hours', () => {
    const preferences = effectivePreferences(
      { channels: { email: { shipped: false }, sms: {}, push: { shipped: false }, in_app: { shipped: false } }, language: 'ru', timezone: null, quietHours: null, phoneNumber: null, version: 3 },
      { locale: 'en', timezone: 'America/New_York', phone: '+12125550100' },
    );
    expect(wantedChannels(preferences, 'shipped')).toEqual(['sms']);
    expect(preferences.channels.email.delivered).toBe(true);
    expect(preferences).toMatchObject({ language: 'ru', timezone: 'America/New_York', quietHours: null, phoneNumber: '+12125550100', customized: true, version: 3 });
  });
});
