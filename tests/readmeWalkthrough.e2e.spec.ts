import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { clientAs, type ApiClient } from './support/api.js';
import { useTestServer } from './support/testServer.js';

// The README's walkthrough, run as written against a fresh server: every `gql` line of its shell
// blocks in order, so the positions the README quotes are the ones a newcomer sees.

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const walkthrough = readme.slice(readme.indexOf('## Walkthrough'), readme.indexOf('### The live dashboard'));

/** Each `gql '<operation>' ['<variables>'|"<variables>"]` call of the walkthrough's shell blocks, continuation lines joined. */
function gqlCalls(): { line: string; query: string; variables: string }[] {
  const blocks = [...walkthrough.matchAll(/```sh\n([\s\S]*?)```/g)].map((block) => block[1]!.replace(/\\\n\s*/g, ''));
  return blocks
    .flatMap((block) => block.split('\n'))
    .flatMap((line) => {
      const call = /(?:^|\$\()gql '([^']+)'(?: '([^']*)'| "((?:[^"\\]|\\.)*)")?/.exec(line);
      if (!call) return [];
      const variables = call[2] ?? (call[3] ? call[3].replace(/\\"/g, '"') : '{}');
      return [{ line, query: call[1]!, variables }];
    });
}

let staff: ApiClient;
const server = useTestServer();
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'alice');
});

describe("the README's walkthrough", () => {
  it('runs as written on a fresh server, and the positions the README quotes are the ones it answers', async () => {
    const shell: Record<string, string> = {};
    const answers: Record<string, any>[] = [];
    for (const { line, query, variables } of gqlCalls()) {
      const vars = JSON.parse(variables.replace(/\$([A-Z]+)/g, (_, name: string) => shell[name] ?? `$${name}`)) as Record<string, unknown>;
      const data = await staff.run(query, vars);
      answers.push(data);
      const captured = /^([A-Z]+)=\$\(gql/.exec(line);
      if (captured) shell[captured[1]!] = data.registerCustomer.customer.id;
    }
    const [, , , , , mismatch, paid, , delivered, readBack] = answers;
    expect(mismatch!.recordPayment.code).toBe('PAYMENT_MISMATCH');
    expect(readBack!.order.status).toBe('DELIVERED');
    const history = readBack!.order.history as { type: string; position: string }[];
    const positions = {
      paymentAnswered: paid!.recordPayment.position,
      paymentRecorded: history.find((entry) => entry.type === 'PaymentRecorded')!.position,
      deliveryAnswered: delivered!.deliverOrder.position,
    };
    // What the README says, next to what this run answered (the numbers to write when they differ).
    expect({
      paymentAnswered: /`recordPayment` answers\s+position\s+`"(\d+)"`/.exec(walkthrough)?.[1],
      paymentRecorded: /subscription\s+shows\s+`PAID`\s+at\s+position\s+`"(\d+)"`/.exec(walkthrough)?.[1],
      deliveryAnswered: /the\s+last\s+mutation\s+answered\s+\(`"(\d+)"`\s+here\)/.exec(walkthrough)?.[1],
    }).toEqual(positions);
    expect(walkthrough).toContain(`'{"p": "${positions.deliveryAnswered}"}'`);
  });
});
