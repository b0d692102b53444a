import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('gives the embedded defaults for trying Cutroom out', () => {
    const config = loadConfig({}, '/srv');
    expect(config).toMatchObject({
      profile: 'embedded',
      port: 8080,
      dataDir: '/srv/data',
      databaseUrl: undefined,
      allowAnonymous: true,
      openRegistration: true,
      actionHistoryDepth: 1000,
      allowPrivateUrls: false,
      corsOrigins: '*',
    });
  });

  it('turns anonymous use and open registration off in production, unless asked', () => {
    const prod = loadConfig({ PROFILE: 'production', DATABASE_URL: 'postgres://db/cutroom' });
    expect(prod.allowAnonymous).toBe(false);
    expect(prod.openRegistration).toBe(false);
    expect(loadConfig({ PROFILE: 'production', DATABASE_URL: 'postgres://db/c', ALLOW_ANONYMOUS: 'true' }).allowAnonymous).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT="eighty" is not valid: PORT accepts an integer from 0 to 65535/],
    [{ PORT: '70000' }, /PORT accepts an integer/],
    [{ ALLOW_ANONYMOUS: 'maybe' }, /ALLOW_ANONYMOUS accepts true or false/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL accepts one of fatal, error/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL accepts a URL \(postgres or postgresql\)/],
    [{ ACTION_HISTORY_DEPTH: '0' }, /ACTION_HISTORY_DEPTH accepts an integer from 1/],
    [{ BODY_LIMIT: 'lots' }, /BODY_LIMIT accepts a size in bytes/],
    [{ OVERLAY_MAX_BYTES: 'big' }, /OVERLAY_MAX_BYTES accepts a size in bytes/],
    [{ OVERLAY_SWEEP_INTERVAL_MS: '10' }, /OVERLAY_SWEEP_INTERVAL_MS accepts an integer from 50/],
    [{ PROFILE: 'production' }, /DATABASE_URL accepts a postgres:\/\/ URL \(required when PROFILE=production\)/],
  ])('fails fast on %j naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('parses sizes and lists', () => {
    const config = loadConfig({ BODY_LIMIT: '5mb', CORS_ORIGINS: 'https://a.example, https://b.example', OVERLAY_MAX_BYTES: '512kb' });
    expect(config.bodyLimitBytes).toBe(5 * 2 ** 20);
    expect(config.overlayMaxBytes).toBe(512 * 1024);
    expect(loadConfig({}).overlayMaxBytes).toBe(8 * 2 ** 20);
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });
});
