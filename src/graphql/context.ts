import type { Authentication } from '../auth/actor.js';
import type { LiveDelivery } from '../live/liveDelivery.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';

/** What every resolver receives: the request's logger and id, and the shared services. */
export interface GraphQLContext extends Services {
  /** Quoted in answers and logs: the caller's `x-request-id` (capped), else `correlationId`. */
  requestId: string;
  /** Ours, never the caller's: what the events this request appends carry as their correlation id. */
  correlationId: string;
  log: Logger;
  /** Who is calling (from `Authorization` or graphql-ws `connectionParams.authorization`). */
  auth: Authentication;
  /** Over graphql-ws: where a subscription's live values go once it has caught up. */
  liveDelivery?: LiveDelivery;
}
