import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

// The bare peer of the event bus deliveries as a process of its own, pinned where our server runs
// (bench/lib/bareBusPublisherProcess.ts starts it): publishes the same bodies with the same client and
// `Nats-Msg-Id`, `inFlight` awaited at a time, and answers with events/s. In the benchmark's own
// process it would float over both cores while our server is held to one.

/** What to publish: to a stream of its own named `stream`, on subjects under its lower-cased name. */
export interface BarePublishes {
  url: string;
  stream: string;
  messages: { subject: string; body: string; id: string }[];
  inFlight: number;
  /** The client option our server sets (no Error objects made ahead per publish); false: the client's defaults. */
  noAsyncTraces: boolean;
}

process.on('message', async ({ url, stream, messages, inFlight, noAsyncTraces }: BarePublishes) => {
  const connection = await connect({ servers: url, noAsyncTraces });
  try {
    const prefix = stream.toLowerCase();
    await (await jetstreamManager(connection)).streams.add({ name: stream, subjects: [`${prefix}.>`] });
    const js = jetstream(connection);
    const queue = [...messages];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        for (let m = queue.shift(); m; m = queue.shift()) await js.publish(`${prefix}.${m.subject}`, m.body, { msgID: m.id });
      }),
    );
    process.send!(messages.length / ((performance.now() - started) / 1000));
  } finally {
    await connection.close();
  }
});
process.on('disconnect', () => process.exit(0));
process.send!('ready');
