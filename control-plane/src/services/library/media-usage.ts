/**
 * Which projects mention which media: the media library asks before deleting a file
 * (`used_in_projects`), and the projects service answers from the index it refreshes on every
 * save. Kept as an interface so neither service owns the other.
 */
export interface MediaUsage {
  /** For each of the owner's media ids that some project of the owner mentions, those projects' ids. */
  projectsUsing(ownerId: string, mediaIds: string[]): Promise<Map<string, string[]>>;
}
