import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { createApiClient, type CutroomClient } from '../api/client.js';
import type { MediaEntry } from '../api/types.js';
import { openUserSession, type UserSession } from './session/user-session.js';
import type { PushMessage } from './session/presence-socket.js';
import type { EditorContext } from './editor-context.js';
import { emptyTimeline, type Timeline } from './timeline/timeline-model.js';
import { EditHistory } from './history/edit-history.js';
import { UploadPanel } from './upload/upload-panel.js';
import { UrlImportPanel } from './upload/url-import-panel.js';
import { LibraryPanel } from './library/library-panel.js';
import { PlayerPanel } from './player/player-panel.js';
import { TimelinePanel } from './timeline/timeline-panel.js';
import { RenderPanel } from './render/render-panel.js';
import { ProjectsPanel, type OpenProject } from './projects/projects-panel.js';
import { availableFeatures, type EditorFeature } from './features/registry.js';

/** The reference editor: one page, every panel working through the public API only. */
export function EditorApp() {
  const tokenRef = useRef<string | undefined>(undefined);
  const api = useMemo<CutroomClient>(() => createApiClient({ baseUrl: '', token: () => tokenRef.current }), []);
  const [session, setSession] = useState<UserSession | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const [connected, setConnected] = useState(false);
  const [timeline, setTimeline] = useState<Timeline>(emptyTimeline());
  const timelineRef = useRef(timeline);
  timelineRef.current = timeline;
  const history = useMemo(() => new EditHistory(api), [api]);
  const [historyVersion, setHistoryVersion] = useState(0);
  const [libraryVersion, setLibraryVersion] = useState(0);
  const [selected, setSelected] = useState<MediaEntry | undefined>();
  const [announcement, setAnnouncement] = useState('');
  const [features, setFeatures] = useState<EditorFeature[]>([]);
  const [project, setProject] = useState<OpenProject | undefined>();
  const listeners = useRef(new Set<(message: PushMessage) => void>());

  useEffect(() => {
    openUserSession(api, window.location, window.history)
      .then((opened) => {
        tokenRef.current = opened.authToken;
        opened.socket.onConnectionChange = setConnected;
        setConnected(opened.socket.connected);
        opened.socket.onMessage((message) => listeners.current.forEach((listener) => listener(message)));
        setSession(opened);
        // The editor is usable once its session is bound (bench/console.bench.ts reads this).
        requestAnimationFrame(() => performance.mark('cutroom-interactive'));
      })
      .catch((error: Error) => setFailure(error.message));
    api
      .GET('/api/openapi.json')
      .then(({ data }) => setFeatures(availableFeatures(Object.keys((data as { paths?: object } | undefined)?.paths ?? {}))))
      .catch(() => setFeatures([]));
  }, [api]);

  const announce = useCallback((message: string) => setAnnouncement(message), []);
  const edit = useCallback(
    (name: string, change: (timeline: Timeline) => Timeline) => {
      const before = timelineRef.current;
      const after = change(before);
      if (after === before) return;
      timelineRef.current = after;
      setTimeline(after);
      history
        .record(name, before, after)
        .then(() => setHistoryVersion((v) => v + 1))
        .catch((error: Error) => announce(`The edit was not saved in the history: ${error.message}`));
      setHistoryVersion((v) => v + 1);
    },
    [history, announce],
  );

  if (failure) {
    return (
      <main class="panel" style={{ margin: '1rem' }}>
        <h1>Cutroom editor</h1>
        <p class="error" role="alert">
          The editor could not open its session: {failure}
        </p>
        <p>
          Open it with <code>?session_id=&lt;id&gt;</code> from <code>POST /api/users</code> (see the integration recipes in the{' '}
          <a href="/api/docs">API docs</a>).
        </p>
      </main>
    );
  }
  if (!session) return <p class="loading">Opening the session…</p>;

  const context: EditorContext = {
    api,
    userId: session.userId,
    authToken: session.authToken,
    onPush: (listener) => {
      listeners.current.add(listener);
      return () => listeners.current.delete(listener);
    },
    timeline,
    edit,
    libraryVersion,
    refreshLibrary: () => setLibraryVersion((v) => v + 1),
    selected,
    select: setSelected,
    announce,
  };

  return (
    <>
      <header class="app-header">
        <h1>Cutroom editor</h1>
        <nav aria-label="Console">
          <a href="/console/ops">Operations</a> · <a href="/api/docs">API docs and recipes</a>
        </nav>
        <span class="status" data-testid="session-status">
          {connected ? 'Connected' : 'Reconnecting…'} · user <code>{session.userId}</code>
        </span>
      </header>
      <p class="sr-only" role="status" aria-live="polite">
        {announcement}
      </p>
      <main class="layout">
        <section class="panel" aria-labelledby="upload-title">
          <h2 id="upload-title">Add media</h2>
          <UploadPanel context={context} />
          <UrlImportPanel context={context} />
        </section>
        <section class="panel" aria-labelledby="player-title">
          <h2 id="player-title">Preview</h2>
          <PlayerPanel context={context} />
        </section>
        <section class="panel wide" aria-labelledby="library-title">
          <h2 id="library-title">Library</h2>
          <LibraryPanel context={context} />
        </section>
        <section class="panel wide" aria-labelledby="timeline-title">
          <h2 id="timeline-title">Timeline</h2>
          <TimelinePanel
            context={context}
            history={history}
            historyVersion={historyVersion}
            onHistoryMove={(next) => {
              timelineRef.current = next;
              setTimeline(next);
              setHistoryVersion((v) => v + 1);
            }}
          />
        </section>
        <section class="panel" aria-labelledby="render-title">
          <h2 id="render-title">Render</h2>
          <RenderPanel context={context} projectId={project?.id} />
        </section>
        <section class="panel" aria-labelledby="projects-title">
          <h2 id="projects-title">Projects</h2>
          <ProjectsPanel
            context={context}
            history={history}
            project={project}
            onProject={setProject}
            onOpen={(opened) => {
              timelineRef.current = opened;
              setTimeline(opened);
              setHistoryVersion((v) => v + 1);
            }}
          />
        </section>
        {features.map((feature) => (
          <section class="panel" key={feature.id} aria-label={feature.title}>
            <h2>{feature.title}</h2>
            <feature.Panel context={context} />
          </section>
        ))}
      </main>
    </>
  );
}
