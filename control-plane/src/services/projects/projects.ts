import type { ProjectRow, ProjectSortColumn, ProjectsRepository } from '../../db/projects-repository.js';
import { internalError, notFound } from '../../http/errors.js';
import { newId } from '../../ids.js';
import { prepareProjectData, type JsonBytes, type VerbatimJson } from '../../project-data/index.js';
import type { MediaCatalog } from '../library/media-catalog.js';
import type { MediaUsage } from '../library/media-usage.js';

/**
 * Projects: the editor's saved timelines. `data` is kept as the exact JSON text the client sent
 * (any JSON value: an object, or a string holding anything) and answered verbatim. Every save
 * refreshes the index of the media ids the data mentions and raises a domain event, in the same
 * statement as the change.
 */

export interface NewProject {
  /** A reserved id (a project import answers its project's id before the project exists); default: a new one. */
  id?: string | undefined;
  name?: string | undefined;
  /** The JSON text of `data`, as the client's bytes; absent means `null`. */
  data?: VerbatimJson | undefined;
  thumbnail?: string | undefined;
  createTimeMs?: number | undefined;
}

export interface ProjectUpdate {
  name?: string | undefined;
  data?: VerbatimJson | undefined;
  thumbnail?: string | undefined;
  modifTimeMs?: number | undefined;
}

export type ProjectSortField = 'name' | 'createTime' | 'modifTime';

export interface ProjectListQuery {
  offset: number;
  limit: number;
  search?: string | undefined;
  sortField: ProjectSortField;
  descending: boolean;
}

export type ProjectSummary = ProjectRow;

const NULL_JSON: JsonBytes = Buffer.from('null');

const stored = prepareProjectData;

const sortColumns: Record<ProjectSortField, ProjectSortColumn> = {
  name: 'name',
  createTime: 'create_ms',
  modifTime: 'modif_ms',
};

export class ProjectsService implements MediaUsage {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly catalog: MediaCatalog,
    private readonly nowMs: () => number = Date.now,
  ) {}

  async create(ownerId: string, input: NewProject): Promise<{ id: string }> {
    const id = input.id ?? newId();
    await this.projects.insert({
      id,
      ownerId,
      name: input.name ?? '',
      data: stored(input.data ?? { bytes: NULL_JSON }),
      thumbnail: input.thumbnail ?? '',
      createMs: input.createTimeMs ?? this.nowMs(),
      eventId: newId(),
    });
    return { id };
  }

  async update(ownerId: string, id: string, input: ProjectUpdate): Promise<void> {
    const data = input.data === undefined ? undefined : stored(input.data);
    const changes = { name: input.name, thumbnail: input.thumbnail, data, modifMs: input.modifTimeMs ?? this.nowMs() };
    const eventId = newId();
    const outcome = await this.projects.save(id, ownerId, changes, eventId);
    if (outcome === 'saved') return;
    if (outcome === 'missing') throw notFound(`no project ${id}`);
    // A concurrent save of the same project came first: repeat under its row lock.
    let lockedOutcome: string | undefined;
    const found = await this.projects.withRowLock(id, ownerId, async (trx) => {
      lockedOutcome = await this.projects.save(id, ownerId, changes, eventId, trx);
    });
    if (!found) throw notFound(`no project ${id}`);
    if (lockedOutcome !== 'saved') throw internalError();
  }

  async get(ownerId: string, id: string): Promise<ProjectSummary & { dataJson: string }> {
    const project = await this.projects.find(id, ownerId);
    if (!project) throw notFound(`no project ${id}`);
    return project;
  }

  list(ownerId: string, query: ProjectListQuery): Promise<{ total: number; rows: ProjectSummary[] }> {
    return this.projects.list(ownerId, {
      offset: query.offset,
      limit: query.limit,
      search: query.search,
      sort: sortColumns[query.sortField],
      descending: query.descending,
    });
  }

  /** The data texts of some of the owner's projects, by id (for lists that include data). */
  dataOf(ownerId: string, ids: string[]): Promise<Map<string, string>> {
    return this.projects.dataOf(ownerId, ids);
  }

  async delete(ownerId: string, id: string): Promise<void> {
    if (!(await this.projects.delete(id, ownerId))) throw notFound(`no project ${id}`);
  }

  /** The id-shaped tokens (media ids) the project's data mentions, sorted. */
  async mediaIds(ownerId: string, id: string): Promise<string[]> {
    const ids = await this.projects.mediaIdsOf(id, ownerId);
    if (!ids) throw notFound(`no project ${id}`);
    return ids;
  }

  /** The media objects the project mentions, as the media library describes them. */
  async mediaFiles(ownerId: string, id: string): Promise<object[]> {
    const ids = await this.mediaIds(ownerId, id);
    return ids.length === 0 ? [] : this.catalog.describe(ownerId, ids);
  }

  async projectsUsing(ownerId: string, mediaIds: string[]): Promise<Map<string, string[]>> {
    const usage = new Map<string, string[]>();
    for (const { mediaId, projectId } of await this.projects.usage(ownerId, [...new Set(mediaIds)])) {
      const projects = usage.get(mediaId);
      if (projects) projects.push(projectId);
      else usage.set(mediaId, [projectId]);
    }
    return usage;
  }
}
