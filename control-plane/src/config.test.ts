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

  const production = {
    PROFILE: 'production',
    DATABASE_URL: 'postgres://db/cutroom',
    SIGNING_SECRET: 'a-shared-secret-of-enough-length',
    S3_BUCKET: 'media',
  };

  it('turns anonymous use and open registration off in production, unless asked', () => {
    const prod = loadConfig(production);
    expect(prod.allowAnonymous).toBe(false);
    expect(prod.openRegistration).toBe(false);
    expect(loadConfig({ ...production, ALLOW_ANONYMOUS: 'true' }).allowAnonymous).toBe(true);
  });

  it('refuses guessable editor tokens in production, and trusts only private proxies by default', () => {
    expect(loadConfig({}).tokenPolicy).toEqual({ minLength: 0, minBits: 0 });
    expect(loadConfig(production).tokenPolicy).toEqual({ minLength: 20, minBits: 48 });
    expect(loadConfig({ ...production, TOKEN_MIN_BITS: '0', TOKEN_MIN_LENGTH: '0' }).tokenPolicy).toEqual({ minLength: 0, minBits: 0 });
    expect(loadConfig({}).authFailures).toEqual({ limit: 30, windowS: 60 });
    expect(loadConfig({}).trustProxy).toEqual(['loopback', 'linklocal', 'uniquelocal']);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback' }).trustProxy).toEqual(['10.0.0.0/8', 'loopback']);
    expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).toThrow(ConfigError);
  });

  it('stores objects on the local disk when embedded and in S3 in production', () => {
    expect(loadConfig({}, '/srv').storage).toEqual({ driver: 'fs', root: '/srv/data/objects' });
    expect(loadConfig(production).storage).toEqual({
      driver: 's3',
      endpoint: undefined,
      publicEndpoint: undefined,
      bucket: 'media',
      accessKey: undefined,
      secretKey: undefined,
      region: 'us-east-1',
      forcePathStyle: false,
    });
    const minio = loadConfig({
      STORAGE: 's3',
      S3_ENDPOINT: 'http://minio:9000/',
      S3_BUCKET: 'cutroom',
      S3_ACCESS_KEY: 'ak',
      S3_SECRET_KEY: 'sk',
    }).storage;
    expect(minio).toMatchObject({ endpoint: 'http://minio:9000', forcePathStyle: true, accessKey: 'ak', secretKey: 'sk' });
    expect(loadConfig({ ...production, STORAGE: 'fs' }).storage.driver).toBe('fs');
  });

  it('reads media limits and the URL lifetime', () => {
    const config = loadConfig(
      { MAX_FILE_SIZE: '2g', MAX_USER_BYTES: '10gb', MIN_FREE_DISK_BYTES: '0', MEDIA_URL_TTL_SECONDS: '600', TEST_MEDIA_DIR: 'media' },
      '/srv',
    );
    expect(config).toMatchObject({
      maxFileSizeBytes: 2 * 2 ** 30,
      maxUserBytes: 10 * 2 ** 30,
      minFreeDiskBytes: 0,
      mediaUrlTtlS: 600,
      testMediaDir: '/srv/media',
    });
    expect(loadConfig({}).maxUserBytes).toBe(0);
  });

  it("reads the audio library list and its folder (by default the list's own)", () => {
    expect(loadConfig({}).audioLibrary).toBeUndefined();
    expect(loadConfig({ AUDIOLIB_JSON_LIST: 'lib/audioLib.json' }, '/srv').audioLibrary).toEqual({
      listPath: '/srv/lib/audioLib.json',
      filesDir: '/srv/lib',
    });
    expect(loadConfig({ AUDIOLIB_JSON_LIST: '/etc/audioLib.json', AUDIOLIB_FILES_DIR: 'files' }, '/srv').audioLibrary).toEqual({
      listPath: '/etc/audioLib.json',
      filesDir: '/srv/files',
    });
    expect(() => loadConfig({ AUDIOLIB_FILES_DIR: '/srv/files' })).toThrow(/AUDIOLIB_JSON_LIST/);
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
    [{ SIGNING_SECRET: 'short' }, /SIGNING_SECRET accepts a secret of at least 16 characters/],
    [{ STORAGE: 'ftp' }, /STORAGE accepts one of fs, s3/],
    [{ STORAGE: 's3' }, /S3_BUCKET accepts a bucket name \(required when STORAGE=s3\)/],
    [{ STORAGE: 's3', S3_BUCKET: 'b', S3_ACCESS_KEY: 'ak' }, /S3_SECRET_KEY accepts a value when the other S3 key is set/],
    [{ STORAGE: 's3', S3_BUCKET: 'b', S3_ENDPOINT: 'minio:9000' }, /S3_ENDPOINT accepts a URL/],
    [{ MEDIA_URL_TTL_SECONDS: '10' }, /MEDIA_URL_TTL_SECONDS accepts an integer from 60 to 432000/],
    [{ MAX_FILE_SIZE: 'huge' }, /MAX_FILE_SIZE accepts a size in bytes/],
    [{ VOICEOVER_PORT_RANGE: '40000' }, /VOICEOVER_PORT_RANGE accepts MIN-MAX UDP ports/],
    [{ VOICEOVER_PORT_RANGE: '50000-40000' }, /VOICEOVER_PORT_RANGE accepts MIN-MAX UDP ports/],
    [{ VOICEOVER_BIND_ADDRESS: 'eth0' }, /VOICEOVER_BIND_ADDRESS accepts an IPv4 address/],
    [{ VOICEOVER_PUBLIC_ADDRESS: 'media.example.com' }, /VOICEOVER_PUBLIC_ADDRESS accepts an IP address/],
    [{ VOICEOVER_ICE_SERVERS: 'http://turn.example.com' }, /VOICEOVER_ICE_SERVERS accepts a JSON array/],
    [{ VOICEOVER_ICE_SERVERS: '[{"urls": 3}]' }, /VOICEOVER_ICE_SERVERS accepts a JSON array/],
    [{ VOICEOVER_MAX_SESSIONS: '-1' }, /VOICEOVER_MAX_SESSIONS accepts an integer from 0/],
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

  it('reads the voiceover media settings: ICE servers with credentials, addresses, ports, limits', () => {
    expect(loadConfig({}).voiceover).toEqual({
      iceServers: [],
      publicAddress: undefined,
      bindAddress: undefined,
      portRange: undefined,
      maxSessions: 50,
      idleTimeoutMs: 120_000,
      sweepIntervalMs: 10_000,
    });
    const config = loadConfig({
      VOICEOVER_ICE_SERVERS: 'stun:stun.example.com:3478, turn:cutroom:s%40cret@turn.example.com:3478?transport=udp',
      VOICEOVER_PUBLIC_ADDRESS: '203.0.113.7',
      VOICEOVER_BIND_ADDRESS: '10.0.0.5',
      VOICEOVER_PORT_RANGE: '40000-40199',
      VOICEOVER_MAX_SESSIONS: '8',
      VOICEOVER_IDLE_TIMEOUT_SECONDS: '30',
    }).voiceover;
    expect(config).toMatchObject({
      iceServers: [{ urls: 'stun:stun.example.com:3478' }, { urls: 'turn:turn.example.com:3478?transport=udp', username: 'cutroom', credential: 's@cret' }],
      publicAddress: '203.0.113.7',
      bindAddress: '10.0.0.5',
      portRange: [40000, 40199],
      maxSessions: 8,
      idleTimeoutMs: 30_000,
    });
    const json = '[{"urls": ["turn:a.example.com", "turns:b.example.com:5349"], "username": "u", "credential": "p"}]';
    expect(loadConfig({ VOICEOVER_ICE_SERVERS: json }).voiceover.iceServers).toEqual([
      { urls: 'turn:a.example.com', username: 'u', credential: 'p' },
      { urls: 'turns:b.example.com:5349', username: 'u', credential: 'p' },
    ]);
  });

  it('never echoes TURN credentials in a configuration error', () => {
    expect(() => loadConfig({ VOICEOVER_ICE_SERVERS: 'turn:user:topsecret@turn.example.com, ftp://x' })).toThrow(/VOICEOVER_ICE_SERVERS/);
    expect(() => loadConfig({ VOICEOVER_ICE_SERVERS: 'turn:user:topsecret@turn.example.com, ftp://x' })).not.toThrow(/topsecret/);
  });
});
