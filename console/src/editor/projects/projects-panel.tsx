import { useEffect, useRef, useState } from 'preact/hooks';
import { ok } from '../../api/client.js';
import type { ProjectList } from '../../api/types.js';
import type { EditorContext } from '../editor-context.js';
import type { EditHistory } from '../history/edit-history.js';
import { emptyTimeline, type Timeline } from '../timeline/timeline-model.js';
import { fromImportedTimeline, isImportedTimeline } from '../features/imported-timeline.js';

export interface OpenProject {
  id: string;
  name: string;
}

/**
 * Projects: the timeline is a project's `data`. Saving creates or updates the project; from
 * then on every edit is an action in its history (undo and redo). Opening one reads the
 * project and its actions and lands where the user left off.
 */
export function ProjectsPanel({
  context,
  history,
  project,
  onProject,
  onOpen,
}: {
  context: EditorContext;
  history: EditHistory;
  project: OpenProject | undefined;
  onProject: (project: OpenProject | undefined) => void;
  onOpen: (timeline: Timeline) => void;
}) {
  const [name, setName] = useState('My cut');
  const [search, setSearch] = useState('');
  const [list, setList] = useState<ProjectList | undefined>();
  const [message, setMessage] = useState('');
  const [version, setVersion] = useState(0);

  const latest = useRef(0);
  useEffect(() => {
    const request = ++latest.current;
    ok(context.api.GET('/api/projects', { params: { query: { start_number: 0, count: 20, ...(search ? { search } : {}) } } }))
      .then((answer) => request === latest.current && setList(answer))
      .catch((error: Error) => setMessage(error.message));
  }, [search, version]);

  async function save(asNew: boolean): Promise<void> {
    try {
      const data = context.timeline;
      const thumbnail = '';
      if (project && !asNew) {
        await ok(context.api.PATCH('/api/projects/{id}', { params: { path: { id: project.id } }, body: { name: project.name, data, thumbnail } }));
        setMessage(`Saved ${project.name}`);
      } else {
        const created = await ok(context.api.POST('/api/projects', { body: { name, data, thumbnail } }));
        history.attach(created.id);
        onProject({ id: created.id, name });
        setMessage(`Saved as ${name}; edits are now kept in its history`);
      }
      setVersion((v) => v + 1);
      context.announce('Project saved');
    } catch (error) {
      setMessage(`Not saved: ${(error as Error).message}`);
    }
  }

  async function open(id: string): Promise<void> {
    try {
      const entry = await ok(context.api.GET('/api/projects/{id}', { params: { path: { id } } }));
      let dropped: string[] = [];
      let saved = (entry.data as Timeline | null) ?? emptyTimeline();
      if (isImportedTimeline(entry.data)) ({ timeline: saved, dropped } = fromImportedTimeline(entry.data));
      const latest = await history.load(id);
      onProject({ id, name: entry.name });
      onOpen(latest ?? saved);
      setMessage(dropped.length > 0 ? `Opened ${entry.name}; the timeline here leaves out ${dropped.join(', ')}` : `Opened ${entry.name}`);
      context.announce(`Project ${entry.name} opened`);
    } catch (error) {
      setMessage(`Could not open it: ${(error as Error).message}`);
    }
  }

  return (
    <div>
      <p data-testid="current-project">{project ? `Project: ${project.name}` : 'Not saved as a project yet.'}</p>
      <div class="row">
        {project ? (
          <button type="button" onClick={() => void save(false)}>
            Save project
          </button>
        ) : null}
        <label for="project-name">Name</label>
        <input id="project-name" type="text" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <button type="button" class={project ? 'secondary' : ''} onClick={() => void save(true)} disabled={name.trim() === ''}>
          Save as new project
        </button>
        {project && (
          <button
            type="button"
            class="secondary"
            onClick={() => {
              history.detach();
              onProject(undefined);
              onOpen(emptyTimeline());
            }}
          >
            New timeline
          </button>
        )}
      </div>
      {message && (
        <p class="muted" role="status">
          {message}
        </p>
      )}
      <div class="row">
        <label for="project-search">Find a project</label>
        <input id="project-search" type="search" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
      </div>
      <ul aria-label="Projects">
        {list?.entries.map((entry) => (
          <li key={entry.id}>
            <button type="button" class="secondary" onClick={() => void open(entry.id)} aria-label={`Open project ${entry.name}`}>
              {entry.name || '(no name)'}
            </button>{' '}
            <span class="muted">{new Date(entry.modifTime).toLocaleString()}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
