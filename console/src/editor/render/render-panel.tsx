import { useEffect, useRef, useState } from 'preact/hooks';
import { ok } from '../../api/client.js';
import type { EditingStatus } from '../../api/types.js';
import type { EditorContext } from '../editor-context.js';
import type { TaskProgressPayload } from '../session/presence-socket.js';
import { uploadTextOverlay } from '../timeline/text-overlay.js';
import { timelineProblems, type Timeline } from '../timeline/timeline-model.js';
import { buildXtl } from '../timeline/xtl-builder.js';

const FINAL = new Set(['completed', 'error', 'aborted']);

/** The output frame's size: the timeline's setting, else the first picture's, else 1280×720. */
function frameSize(timeline: Timeline): { width: number; height: number } {
  if (timeline.output.width > 0 && timeline.output.height > 0) return { width: timeline.output.width, height: timeline.output.height };
  const first = timeline.main.find((clip) => clip.width > 0 && clip.height > 0);
  return first ? { width: first.width, height: first.height } : { width: 1280, height: 720 };
}

/**
 * Renders the timeline: text overlays are drawn and stored as overlay images, the XTL is
 * submitted, progress comes from the socket's `task_progress` pushes (and a poll of
 * `/api/task/editing`), and the finished output plays here and downloads.
 */
export function RenderPanel({ context, projectId }: { context: EditorContext; projectId: string | undefined }) {
  const [taskId, setTaskId] = useState<string | undefined>();
  const [status, setStatus] = useState<EditingStatus | undefined>();
  const [pushed, setPushed] = useState<TaskProgressPayload | undefined>();
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const timer = useRef<ReturnType<typeof setInterval> | undefined>(undefined);

  useEffect(() => {
    if (!taskId) return;
    // An answer about the previous render that arrives after a new one started is not shown.
    let stopped = false;
    const unsubscribe = context.onPush((push) => {
      if (push.type === 'task_progress' && (push.payload as TaskProgressPayload).id === taskId) setPushed(push.payload as TaskProgressPayload);
    });
    const poll = async () => {
      const answer = await ok(context.api.GET('/api/task/editing', { params: { query: { id: taskId } } })).catch(() => undefined);
      if (!answer || stopped) return;
      setStatus(answer);
      if (FINAL.has(answer.status)) {
        clearInterval(timer.current);
        context.refreshLibrary();
        context.announce(`Render ${answer.status}`);
      }
    };
    void poll();
    timer.current = setInterval(() => void poll(), 1000);
    return () => {
      stopped = true;
      unsubscribe();
      clearInterval(timer.current);
    };
  }, [taskId]);

  async function render(): Promise<void> {
    setBusy(true);
    setMessage('');
    setStatus(undefined);
    setPushed(undefined);
    try {
      const { timeline } = context;
      const size = frameSize(timeline);
      const overlayIds: Record<string, string> = {};
      for (const overlay of timeline.overlays) {
        if (overlay.kind === 'text') overlayIds[overlay.id] = await uploadTextOverlay(context.api, overlay.style, size.width, size.height);
      }
      const xtl = buildXtl(timeline, { overlayIds });
      const answer = await ok(context.api.POST('/api/task/editing', { body: { xtl_task: xtl, ...(projectId ? { projectId } : {}) } }));
      setTaskId(answer.taskId);
      setMessage(`Rendering into ${timeline.output.name}`);
      context.refreshLibrary();
    } catch (error) {
      setMessage(`The render was refused: ${(error as Error).message}`);
    } finally {
      setBusy(false);
    }
  }

  async function stop(): Promise<void> {
    if (!taskId) return;
    await ok(context.api.DELETE('/api/task/editing', { params: { query: { id: taskId } } })).catch((error: Error) => setMessage(error.message));
  }

  const problems = timelineProblems(context.timeline);
  const running = status ? !FINAL.has(status.status) : taskId !== undefined;
  const progress = Math.max(status?.progress ?? 0, running ? (pushed?.progress ?? 0) : 0);
  const outputUrl = status?.status === 'completed' ? status.outputUrls[0] : undefined;

  return (
    <div>
      <div class="row">
        <button type="button" disabled={busy || running || problems.length > 0} onClick={() => void render()}>
          Render
        </button>
        {running && (
          <button type="button" class="danger" onClick={() => void stop()}>
            Stop render
          </button>
        )}
      </div>
      {problems.length > 0 && <p class="muted">{problems[0]}</p>}
      {message && <p class="muted">{message}</p>}
      {taskId && (
        <div class="row" data-testid="render-status" data-task-id={taskId} data-status={status?.status ?? 'running'}>
          <progress max={100} value={progress} aria-label="Render progress" />
          <span>
            {status?.status ?? 'running'} {progress}%{running && pushed?.stage ? ` · ${pushed.stage}` : ''}
          </span>
        </div>
      )}
      {status?.error && (
        <p class="error" role="alert">
          {status.error.message}
        </p>
      )}
      {outputUrl && (
        <div class="player">
          <video src={outputUrl} controls preload="metadata" data-testid="output-video" aria-label="The rendered output" />
          <p>
            <a href={outputUrl} download={context.timeline.output.name} data-testid="download-output">
              Download {context.timeline.output.name}
            </a>
          </p>
        </div>
      )}
    </div>
  );
}
