import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, createApiClient, ok, type CutroomClient } from '../api/client.js';
import { TokenForm } from './token-form.js';
import { StatPanel } from './stat-panel.js';
import { QueuePanel } from './queue-panel.js';
import { TasksPanel } from './tasks-panel.js';
import { FailuresPanel } from './failures-panel.js';
import { DispatcherPanel } from './dispatcher-panel.js';
import { CallbacksPanel } from './callbacks-panel.js';
import { DevelopersPanel } from './developers-panel.js';

const TOKEN_KEY = 'cutroom.admin-token';

export interface OpsContext {
  api: CutroomClient;
  /** Bumped after an action, so every panel reads again at once. */
  version: number;
  acted(message: string): void;
}

/** The operators' window on the farm: live figures, the queue, tasks, failures, workers, callbacks, developers. */
export function OpsApp() {
  const tokenRef = useRef<string | undefined>(sessionStorage.getItem(TOKEN_KEY) ?? undefined);
  const api = useMemo(() => createApiClient({ baseUrl: '', token: () => tokenRef.current }), []);
  const [signedIn, setSignedIn] = useState(tokenRef.current !== undefined);
  const [version, setVersion] = useState(0);
  const [message, setMessage] = useState('');
  useEffect(() => {
    requestAnimationFrame(() => performance.mark('cutroom-interactive'));
  }, []);

  async function signIn(token: string): Promise<string | undefined> {
    tokenRef.current = token;
    try {
      await ok(api.GET('/api/admin/queue'));
      sessionStorage.setItem(TOKEN_KEY, token);
      setSignedIn(true);
      return undefined;
    } catch (error) {
      tokenRef.current = undefined;
      return error instanceof ApiError && error.status === 401 ? 'That is not the ADMIN_TOKEN (or the admin API is off).' : (error as Error).message;
    }
  }

  const context: OpsContext = {
    api,
    version,
    acted: (text) => {
      setMessage(text);
      setVersion((v) => v + 1);
    },
  };

  return (
    <>
      <header class="app-header">
        <h1>Cutroom operations</h1>
        <nav aria-label="Console">
          <a href="/">Editor</a> · <a href="/api/docs">API docs and recipes</a>
        </nav>
        {signedIn && (
          <button
            type="button"
            class="secondary status"
            onClick={() => {
              sessionStorage.removeItem(TOKEN_KEY);
              tokenRef.current = undefined;
              setSignedIn(false);
            }}
          >
            Sign out
          </button>
        )}
      </header>
      {!signedIn ? (
        <main class="layout">
          <TokenForm onSubmit={signIn} />
        </main>
      ) : (
        <main class="layout">
          <p class="sr-only" role="status" aria-live="polite">
            {message}
          </p>
          {message && <p class="wide muted">{message}</p>}
          <StatPanel context={context} />
          <QueuePanel context={context} />
          <TasksPanel context={context} />
          <FailuresPanel context={context} />
          <DispatcherPanel context={context} />
          <CallbacksPanel context={context} />
          <DevelopersPanel context={context} />
        </main>
      )}
    </>
  );
}
