import { useEffect, useRef } from 'preact/hooks';
import { ok } from '../../api/client.js';
import type { MediaEntry } from '../../api/types.js';
import type { EditorContext } from '../editor-context.js';
import { isWorking } from './library-query.js';

/**
 * Keeps entries that are uploading, importing, converting or rendering up to date: a
 * `task_progress` push from the socket asks at once, a slow poll covers anything the socket
 * missed; each asks `/api/mediafile/status` (small), and an entry that became ready is read
 * again whole (its thumbnail, duration and URLs).
 */
export function useLiveStatus(context: EditorContext, entries: MediaEntry[], replace: (entry: MediaEntry) => void): void {
  const current = useRef(entries);
  current.current = entries;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const refresh = async () => {
      const working = current.current.filter(isWorking);
      await Promise.all(
        working.map(async (entry) => {
          const status = await ok(context.api.GET('/api/mediafile/status', { params: { query: { id: entry.id } } })).catch(() => undefined);
          if (!status || stopped) return;
          const settled = status.error || (status.status === 'ready' && status.progress >= 100);
          if (settled) {
            const fresh = await ok(context.api.GET('/api/mediafiles/{id}', { params: { path: { id: entry.id } } })).catch(() => undefined);
            if (fresh && !stopped) replace(fresh);
          } else if (status.status !== entry.status || status.progress !== entry.progress) {
            replace({ ...entry, status: status.status as MediaEntry['status'], progress: status.progress, error: status.error as MediaEntry['error'] });
          }
        }),
      );
    };
    const soon = () => {
      if (timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        void refresh();
      }, 250);
    };
    const unsubscribe = context.onPush((message) => {
      if (message.type === 'task_progress') soon();
    });
    const poll = setInterval(() => {
      if (current.current.some(isWorking)) soon();
    }, 2000);
    return () => {
      stopped = true;
      unsubscribe();
      clearInterval(poll);
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [context.api]);
}
