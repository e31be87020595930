import { getOperationAST, Kind, parse, type DocumentNode } from 'graphql';

/** Operation names outside the trusted documents that may become label values, first come. */
const MAX_UNTRUSTED_NAMES = 50;
/** The longest operation name outside the trusted documents kept as a label value. */
const MAX_NAME_LENGTH = 64;

/**
 * The operation name a metric is labelled with. Clients choose operation names, and every distinct
 * label value is a series the process keeps until it exits: unbounded, they grow `/metrics` until a
 * scrape stalls the server. So a name becomes a label value only when it is an operation of the
 * trusted documents (the operators' own clients), or one of the first {@link MAX_UNTRUSTED_NAMES}
 * others of at most {@link MAX_NAME_LENGTH} characters; the rest count as `other`. The name is the
 * one the document gives its operation, never the request's `operationName` as sent (it need not
 * name any operation of a trusted document).
 */
export class OperationLabels {
  private readonly trusted: ReadonlySet<string>;
  private readonly untrusted = new Set<string>();

  /** `trustedTexts`: the trusted documents' texts, whose operation names are always kept. */
  constructor(trustedTexts: Iterable<string>) {
    const names = new Set<string>();
    for (const text of trustedTexts)
      for (const definition of parse(text).definitions)
        if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) names.add(definition.name.value);
    this.trusted = names;
  }

  /** The label of the operation `operationName` selects in `document` (`other` when none or not kept). */
  of(document: DocumentNode | undefined, operationName: string | undefined): string {
    const operation = document ? getOperationAST(document, operationName) : null;
    if (!operation) return 'other';
    const name = operation.name?.value;
    if (name === undefined) return 'Anonymous';
    if (this.trusted.has(name) || this.untrusted.has(name)) return name;
    if (name.length > MAX_NAME_LENGTH || this.untrusted.size >= MAX_UNTRUSTED_NAMES) return 'other';
    this.untrusted.add(name);
    return name;
  }
}
