import { useMutation } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { CommandNotice } from './CommandNotice.js';
import { describeError } from './ErrorNotice.js';
import { describeRefusal, type CommandOutcome } from './useCommand.js';
import { CreateWebhookEndpointMutation } from './webhookOperations.js';

/** "ordersource.order.paid.v1, ordersource.order.shipped.v1" -> both; blank -> every type (null). */
const parseEventTypes = (text: string): string[] | null => {
  const types = text
    .split(/[\s,]+/)
    .map((type) => type.trim())
    .filter(Boolean);
  return types.length > 0 ? types : null;
};

/**
 * Adds an endpoint. The server shows its signing secret once, in the answer to this mutation, so
 * the form keeps it on screen (until the next endpoint is added) for the admin to copy.
 */
export function WebhookEndpointForm() {
  const [create, { loading }] = useMutation(CreateWebhookEndpointMutation, { refetchQueries: ['DashboardWebhookEndpoints'] });
  const [url, setUrl] = useState('');
  const [eventTypes, setEventTypes] = useState('');
  const [description, setDescription] = useState('');
  const [outcome, setOutcome] = useState<CommandOutcome>();
  const [secret, setSecret] = useState<string>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setOutcome(undefined);
    setSecret(undefined);
    try {
      const { data } = await create({
        variables: { url: url.trim(), eventTypes: parseEventTypes(eventTypes), description: description.trim() || null },
      });
      const result = data?.createWebhookEndpoint;
      if (result?.__typename === 'CreateWebhookEndpointSuccess') {
        setSecret(result.secret);
        setOutcome({ done: true, text: `Added ${result.endpoint.url}.` });
        setUrl('');
        setEventTypes('');
        setDescription('');
      } else {
        setOutcome({ done: false, text: result ? describeRefusal(result) : 'the server answered nothing' });
      }
    } catch (error) {
      setOutcome({ done: false, text: describeError(error as Error) });
    }
  };

  return (
    <form className="webhook-form" data-testid="add-webhook-endpoint" onSubmit={(event) => void submit(event)}>
      <fieldset disabled={loading}>
        <input aria-label="URL" placeholder="https://example.com/hooks" value={url} onChange={(e) => setUrl(e.target.value)} required />
        <input
          aria-label="Event types"
          placeholder="Event types (blank: every type)"
          value={eventTypes}
          onChange={(e) => setEventTypes(e.target.value)}
        />
        <input aria-label="Description" placeholder="Description" value={description} onChange={(e) => setDescription(e.target.value)} />
        <button type="submit">Add endpoint</button>
      </fieldset>
      <CommandNotice outcome={outcome} />
      {secret && (
        <p className="webhook-secret">
          Signing secret, shown this once: <code data-testid="webhook-secret">{secret}</code>
        </p>
      )}
    </form>
  );
}
