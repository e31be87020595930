import { describe, expect, it } from 'vitest';
import { startTestServer, stopTestServers, useTestServer } from './support/testServer.js';

// The e2e fixture itself: servers a file uses are started for it and none is left running after it.

describe('a server from useTestServer', () => {
  const server = useTestServer({ CONSISTENCY_TIMEOUT_MS: '1234' });

  it('should be started before the tests, with the environment given', async () => {
    expect(server.services.config.consistencyTimeoutMs).toBe(1234);
    expect((await server.graphql('{ __typename }')).data).toEqual({ __typename: 'Query' });
  });
});

describe('a server a test started and left running', () => {
  it('should be stopped by the clean-up, once, whoever stops it first', async () => {
    const leftOver = await startTestServer();
    const { url } = leftOver.app;
    await stopTestServers();
    await expect(fetch(url)).rejects.toThrow();
    await expect(leftOver.stop()).resolves.toBeUndefined();
  });
});
