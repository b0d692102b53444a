/**
 * What `GET /api/projects/<id>/mediafiles` needs from the media library: the media objects
 * (as `GET /api/mediafiles/<id>` answers them) for ids a project mentions. Ids that are not
 * the owner's media (or shared media) are left out, so the index may hold any id-shaped token.
 */
export interface MediaCatalog {
  describe(ownerId: string, mediaIds: string[]): Promise<object[]>;
}
