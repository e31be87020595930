import { afterAll } from 'vitest';
import { stopTestServers } from './testServer.js';

// Registered first, so it runs after every other afterAll of a test file: whatever server the file
// started and did not stop (a test that failed before its own `stop()`, servers started together
// in one hook) is stopped here, so no file leaves a server, its pool or its database behind.
afterAll(stopTestServers);
