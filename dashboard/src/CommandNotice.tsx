import type { CommandOutcome } from './useCommand.js';

/** A form's last outcome: the refusal as an alert, or a short confirmation. */
export function CommandNotice({ outcome }: { outcome?: CommandOutcome }) {
  if (!outcome) return null;
  return outcome.done ? (
    <p className="command-done" role="status" data-testid="command-done">
      {outcome.text}
    </p>
  ) : (
    <p className="notice notice-error command-refusal" role="alert" data-testid="command-refusal">
      {outcome.text}
    </p>
  );
}
