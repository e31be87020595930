import { Agent, request } from 'undici';
import { signedHeaders } from '../../src/webhooks/webhookSecrets.js';

// The bare peer of the webhook deliveries as a process of its own, pinned where our server runs
// (bench/lib/barePosterProcess.ts starts it): posts signed bodies with undici, the messages of each stream
// one after the other and the streams side by side, and answers with how long that took. In the
// benchmark's own process it would share that process with the receiver, and a client that answers
// its own requests skips the wake-up of another process on each message, which ours cannot.

/** What to post: each stream's bodies in order, to one URL, signed with these secrets. */
export interface BarePosts {
  url: string;
  secrets: string[];
  streams: { id: string; body: string }[][];
}

const agent = new Agent({ connections: 64 });

process.on('message', async (posts: BarePosts) => {
  const started = performance.now();
  await Promise.all(
    posts.streams.map(async (stream) => {
      for (const { id, body } of stream) {
        const answer = await request(posts.url, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/cloudevents+json', ...signedHeaders(id, body, posts.secrets) },
          body,
        });
        await answer.body.dump();
      }
    }),
  );
  process.send!(performance.now() - started);
});
process.on('disconnect', () => process.exit(0));
process.send!('ready');
