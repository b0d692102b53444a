import { ok, type CutroomClient } from '../../api/client.js';
import { PresenceSocket } from './presence-socket.js';

/**
 * Opens the editor's session the way an integrator's page does: the user id comes as
 * `?session_id=` (from `POST /api/users` on the integrator's server). Opened without one, the
 * console creates a user itself (open registration) and writes its id into the address, so a
 * reload resumes the same library. The auth token lives for the tab (sessionStorage), so a
 * reload binds the same token again and uploads in flight keep their owner.
 */

export interface UserSession {
  userId: string;
  authToken: string;
  socket: PresenceSocket;
}

function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `${Date.now()}-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export async function openUserSession(api: CutroomClient, location: Location, history: History): Promise<UserSession> {
  const url = new URL(location.href);
  let sessionId = url.searchParams.get('session_id') ?? undefined;
  if (!sessionId) {
    const created = await api.POST('/api/users', { body: { name: 'Console user' } });
    // Without open registration the server may still take an anonymous user for the token.
    if (created.response.ok && created.data) {
      sessionId = created.data.id;
      url.searchParams.set('session_id', sessionId);
      history.replaceState(history.state, '', url);
    }
  }
  const tokenKey = `cutroom.token.${sessionId ?? 'anonymous'}`;
  const authToken = sessionStorage.getItem(tokenKey) ?? newToken();
  sessionStorage.setItem(tokenKey, authToken);
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/websocket`;
  const socket = new PresenceSocket(wsUrl, authToken, sessionId);
  const userId = await socket.connect();
  return { userId, authToken, socket };
}

/** The user's name as the server keeps it (for the header). */
export async function userName(api: CutroomClient, userId: string): Promise<string> {
  const user = await ok(api.GET('/api/users/{id}', { params: { path: { id: userId } } }));
  return (user as { name?: string | null }).name ?? '';
}
