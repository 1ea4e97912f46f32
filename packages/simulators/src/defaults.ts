/**
 * Credentials shared by the local simulators and the services when the platform runs on
 * its embedded defaults (command one, tests). They are not secrets: real deployments set
 * their own through each service's environment (README, "Real providers").
 */
export const LOCAL_PROVIDER_CREDENTIALS = {
  stripe: { secretKey: 'sk_test_local_platform', webhookSecret: 'whsec_local_platform_secret' },
  aliexpress: { appKey: '500001', appSecret: 'local-aliexpress-app-secret', session: 'local-aliexpress-session' },
  cj: { apiKey: 'CJ-local-api-key' },
  spocket: { apiKey: 'spocket-local-api-key' },
  seventeenTrack: { apiKey: 'local-17track-api-key' },
  aftership: { apiKey: 'local-aftership-api-key', webhookSecret: 'local-aftership-webhook-secret' },
  twilio: { accountSid: 'AC00000000000000000000000000000000', authToken: 'local-twilio-auth-token', from: '+15005550006' },
  fcm: { projectId: 'local-platform', accessToken: 'local-fcm-access-token' },
  devices: { apiKey: 'local-devices-api-key' },
  easypost: { apiKey: 'EZTKlocaleasypostapikey' },
  tiktokShop: {
    appKey: 'local-tiktok-app-key',
    appSecret: 'local-tiktok-app-secret',
    accessToken: 'local-tiktok-access-token',
    shopCipher: 'local-shop-cipher',
    shopId: '7494000000000000001',
  },
} as const;

export type ProviderCredentials = typeof LOCAL_PROVIDER_CREDENTIALS;
