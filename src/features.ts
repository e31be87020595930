import { analyticsFeature } from './analytics/analyticsFeature.js';
import { deadLettersFeature } from './deadLetters/deadLettersFeature.js';
import { eventBusFeature } from './eventBus/eventBusFeature.js';
import { customersFeature } from './customers/customersFeature.js';
import type { FeatureModule } from './feature.js';
import { ordersFeature } from './orders/ordersFeature.js';
import { notificationsFeature } from './notifications/notificationsFeature.js';
import { productsFeature } from './products/productsFeature.js';
import { projectionsOf } from './services.js';
import { searchFeature } from './search/searchFeature.js';
import { systemFeature } from './system/systemFeature.js';
import { webhooksFeature } from './webhooks/webhooksFeature.js';

/**
 * Every feature of the service, the one list the app is built from (server, tests, benchmarks,
 * scripts). A new read model, process or slice is added here and nowhere else.
 */
export const FEATURES: readonly FeatureModule[] = [
  ordersFeature,
  customersFeature,
  productsFeature,
  analyticsFeature,
  searchFeature,
  systemFeature,
  webhooksFeature,
  eventBusFeature,
  notificationsFeature,
  deadLettersFeature,
];

/** Every projection of the service, in the features' order, then the fan-out to webhooks. */
export const PROJECTIONS = projectionsOf(FEATURES);
