import { isStaff, requireUser } from '../auth/actor.js';
import type { Builder } from '../graphql/builder.js';
import { consistentWithArg, readConsistently } from '../graphql/consistency.js';
import type { GraphQLContext } from '../graphql/context.js';
import { readDbOf } from '../graphql/readRouting.js';
import { customerTypes } from './customerTypes.js';
import type { CustomerView } from './customerView.js';

const CUSTOMERS = ['customers', 'orders'] as const;

/** A customer with the spend figures from the read side. */
type CustomerSummaryView = CustomerView & { orderCount?: number; totalSpentCents?: number };

async function summaryOf(ctx: GraphQLContext, customerId: string): Promise<CustomerSummaryView | null> {
  const row = await readDbOf(ctx).prisma.customerSummary.findUnique({ where: { customerId } });
  return (
    row && {
      id: row.customerId,
      name: row.name,
      email: row.email,
      forgotten: row.forgotten,
      orderCount: row.orderCount,
      totalSpentCents: Number(row.totalSpentCents),
    }
  );
}

/** Adds this slice's GraphQL to a schema builder. */
export function customerQueries(builder: Builder): void {
  const { CustomerType } = customerTypes(builder);
  builder.objectFields(CustomerType, (t) => ({
    orderCount: t.int({
      description: 'Orders created by this customer.',
      resolve: async (c: CustomerSummaryView, _args, ctx) => c.orderCount ?? (await summaryOf(ctx, c.id))?.orderCount ?? 0,
    }),
    totalSpentCents: t.float({
      description:
        "Payments minus refunds, in cents (a Float: a customer's lifetime spend can pass the 32-bit Int range; it is always a whole number).",
      resolve: async (c: CustomerSummaryView, _args, ctx) => c.totalSpentCents ?? (await summaryOf(ctx, c.id))?.totalSpentCents ?? 0,
    }),
  }));

  builder.queryFields((t) => ({
    customer: t.field({
      type: CustomerType,
      nullable: true,
      description: 'A customer (customers: only themselves; null otherwise).',
      args: { id: t.arg.id({ required: true }), consistentWith: t.arg.string(consistentWithArg) },
      resolve: async (_root, args, ctx) => {
        const actor = requireUser(ctx.auth);
        await readConsistently(ctx, CUSTOMERS, args.consistentWith);
        if (!isStaff(actor) && actor.sub !== String(args.id)) return null;
        return summaryOf(ctx, String(args.id));
      },
    }),
    me: t.field({
      type: CustomerType,
      nullable: true,
      description: 'The signed-in customer (null for staff, who are not customers).',
      args: { consistentWith: t.arg.string(consistentWithArg) },
      resolve: async (_root, args, ctx) => {
        const actor = requireUser(ctx.auth);
        await readConsistently(ctx, CUSTOMERS, args.consistentWith);
        return actor.role === 'customer' ? summaryOf(ctx, actor.sub) : null;
      },
    }),
  }));
}
