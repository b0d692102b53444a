import { useState } from 'preact/hooks';

/** Asks for the ADMIN_TOKEN; it is kept for this tab only (sessionStorage). */
export function TokenForm({ onSubmit }: { onSubmit: (token: string) => Promise<string | undefined> }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  return (
    <form
      class="panel"
      aria-labelledby="token-title"
      onSubmit={(e) => {
        e.preventDefault();
        void onSubmit(token).then((failure) => setError(failure ?? ''));
      }}
    >
      <h2 id="token-title">Sign in</h2>
      <p>
        The operations view reads the admin API: enter the server's <code>ADMIN_TOKEN</code>.
      </p>
      <div class="row">
        <label for="admin-token">Admin token</label>
        <input id="admin-token" type="password" autocomplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        <button type="submit" disabled={token === ''}>
          Sign in
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
