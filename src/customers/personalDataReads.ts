import type { EventStoreParts } from '../feature.js';
import type { EventReadTransform } from '../eventStore/readTransforms.js';
import type { RecordedEvent } from '../eventStore/types.js';
import type { PersonalData, SealedPersonalData } from './customerEvents.js';
import { dataKeysOf } from './dataKeys.js';
import { EnvelopeOpenError, open, seal } from './personalDataCipher.js';

/** Events whose payload carries a customer's personal data under `personal`. */
const EVENTS_WITH_PERSONAL_DATA = ['CustomerRegistered'] as const;

/** A customer's sealed personal data did not open with their key: that one read fails, saying nothing of the data. */
export class PersonalDataUnreadableError extends Error {
  readonly code = 'PERSONAL_DATA_UNREADABLE';
  constructor(
    readonly customerId: string,
    readonly position: bigint,
  ) {
    super(
      `the personal data of customer ${customerId} in the event at position ${position} cannot be decrypted (altered or corrupted ciphertext)`,
    );
  }
}

/** The authenticated context of a customer's sealed personal data: it opens only as that customer's. */
const personalContext = (customerId: string): string => `personal data of customer ${customerId}`;

/** Seals personal data under a customer's data key, as the log stores it. */
export function sealPersonal(dataKey: Buffer, customerId: string, personal: PersonalData): SealedPersonalData {
  return { sealed: seal(dataKey, Buffer.from(JSON.stringify(personal), 'utf8'), personalContext(customerId)) };
}

/** Opens sealed personal data. @throws EnvelopeOpenError when the key or the bytes are wrong */
export function openPersonal(dataKey: Buffer, customerId: string, sealed: SealedPersonalData): PersonalData {
  return JSON.parse(open(dataKey, sealed.sealed, personalContext(customerId)).toString('utf8')) as PersonalData;
}

const isSealed = (personal: unknown): personal is SealedPersonalData => typeof (personal as SealedPersonalData | null)?.sealed === 'string';

/**
 * The read path's step that opens customers' personal data: sealed data opens with its customer's
 * key, and reads as `null` (the forgotten shape, never an error) when the key is gone; plain data of
 * the previous release's events passes as it is, and as `null` once erased.
 */
export function personalDataReads({ db, config, logger }: EventStoreParts): EventReadTransform {
  const keys = dataKeysOf(db, config.dataKeys.secret);
  return {
    eventTypes: EVENTS_WITH_PERSONAL_DATA,
    async apply(events: readonly RecordedEvent[]) {
      const sealedOwners = events.filter((e) => isSealed(e.data.personal)).map((e) => e.data.customerId as string);
      const dataKeys = sealedOwners.length > 0 ? await keys.customerKeys(sealedOwners) : new Map<string, Buffer>();
      return events.map((event) => {
        const customerId = event.data.customerId as string;
        const personal = event.data.personal as PersonalData | SealedPersonalData | { name: null; email: null } | null;
        if (!isSealed(personal)) {
          const erased = !personal || (personal.name === null && personal.email === null);
          return erased ? { ...event, data: { ...event.data, personal: null } } : event;
        }
        const key = dataKeys.get(customerId);
        if (!key) return { ...event, data: { ...event.data, personal: null } };
        try {
          return { ...event, data: { ...event.data, personal: openPersonal(key, customerId, personal) } };
        } catch (error) {
          if (!(error instanceof EnvelopeOpenError)) throw error;
          const unreadable = new PersonalDataUnreadableError(customerId, event.position);
          logger.error({ customerId, position: event.position.toString() }, unreadable.message);
          throw unreadable;
        }
      });
    },
  };
}
