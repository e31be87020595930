import { useState, type FormEvent } from 'react';
import { normaliseToken, readClaims } from './session.js';

/** Paste a staff or customer token. Shape is checked here; whether it is valid is for the server to say. */
export function SignIn({ onToken, reason }: { onToken: (token: string) => void; reason?: string }) {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string>();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const token = normaliseToken(value);
    if (!readClaims(token)) {
      setProblem('That is not a JSON Web Token (three dot-separated parts).');
      return;
    }
    onToken(token);
  };

  return (
    <main className="sign-in">
      <form className="panel" onSubmit={submit}>
        <h1>Ordersource dashboard</h1>
        <p className="muted">
          Paste a staff token (the back office) or a customer's (their own orders). Make one with{' '}
          <code>npm run token -- --role staff --sub alice</code>, or open <code>/dashboard?token=…</code>. It is kept for this tab only.
        </p>
        {reason && (
          <div className="notice notice-error" role="alert" data-testid="sign-in-reason">
            {reason}
          </div>
        )}
        <label htmlFor="token">Token</label>
        <textarea
          id="token"
          name="token"
          rows={4}
          spellCheck={false}
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="eyJhbGciOiJIUzI1NiIs…"
        />
        {problem && (
          <p className="field-error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" disabled={value.trim() === ''}>
          Sign in
        </button>
      </form>
    </main>
  );
}
