/** The prefix of every subject we publish on; the stream we create captures `ordersource.>`. */
export const BUS_SUBJECT_PREFIX = 'ordersource';

/**
 * The subject of an integration event: its type without the version, `ordersource.order.paid.v1`
 * on `ordersource.order.paid`, so a consumer filters by aggregate (`ordersource.order.>`) or by
 * type, and a new version of a type lands on the same subject (the body's `type` tells them apart).
 */
export function busSubjectOf(integrationType: string): string {
  return integrationType.replace(/\.v\d+$/, '');
}
