import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { setCurrency } from './format.js';
import './styles.css';

/** The server's settings for the dashboard (served beside it); without them amounts show no currency. */
async function loadSettings(): Promise<void> {
  try {
    const response = await fetch(`${import.meta.env.BASE_URL}settings.json`);
    if (!response.ok) return;
    const settings = (await response.json()) as { currency?: string };
    if (settings.currency) setCurrency(settings.currency);
  } catch {
    // A dashboard served by `vite` without the server behind it still works, with plain amounts.
  }
}

void loadSettings().then(() =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  ),
);
