import type { FeatureModule } from '../feature.js';
import { composeOrderEmail } from '../orders/orderEmailComposer.js';
import { ORDER_EMAIL_TYPES } from '../orders/orderEmails.js';
import { ensureConfiguredTarget, parkConfiguredTarget } from '../reactions/configuredTarget.js';
import type { Services } from '../services.js';
import { MailSender } from './mailSender.js';

/** The customer emails' one reaction target (fixed: its deliveries and lag carry over restarts). */
export const EMAIL_TARGET = { id: '00000000-0000-4000-8000-0000000e3a11', kind: 'email', eventTypes: ORDER_EMAIL_TYPES } as const;

/**
 * Customer notifications by email: with SMTP_URL (and MAIL_FROM), a customer is emailed when their
 * order is submitted, paid, shipped, expired or cancelled, through the reaction mechanism (retried,
 * dead-lettered, in order per order). The messages stored hold no personal data: the address is
 * decrypted when an attempt is made. Without SMTP_URL the kind is off.
 */
export const notificationsFeature: FeatureModule<Services> = {
  name: 'notifications',
  projections: [],
  liveSources: [],
  reactionTargets: [
    {
      kind: EMAIL_TARGET.kind,
      configured: (config) => config.mail.smtpUrl !== undefined,
      createSender: (services) =>
        new MailSender({ smtpUrl: services.config.mail.smtpUrl!, from: services.config.mail.from! }, (event) =>
          composeOrderEmail({ eventStore: services.eventStore, paymentTimeoutSeconds: services.config.paymentTimeoutSeconds }, event),
        ),
    },
  ],
  startupChecks: [
    {
      name: 'email target',
      async run(services) {
        if (services.config.mail.smtpUrl) await ensureConfiguredTarget(services.db.pool, EMAIL_TARGET);
        else await parkConfiguredTarget(services.db.pool, EMAIL_TARGET, 'SMTP_URL is unset');
      },
    },
  ],
};
