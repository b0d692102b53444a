-- withRowLock
begin;
select "id" from "projects" where "id" = $1 and "owner_id" = $2 for update;
commit;

-- list (searched, by name)
select counted.total, page.id, page.name, page.thumbnail, page.create_ms as "createMs", page.modif_ms as "modifMs"
      from (select count(*)::int as total from projects where owner_id = $1 and strpos(lower(name), lower($2)) > 0) as counted
      left join lateral (
        select p.id, p.name, p.thumbnail, p.create_ms, p.modif_ms, ids.ord
        from (
          select id, row_number() over () as ord from (
            select id from projects where owner_id = $3 and strpos(lower(name), lower($4)) > 0
            order by owner_id asc, lower(name) asc, id asc
            offset $5 limit $6
          ) as ordered
        ) as ids
        join projects p on p.id = ids.id
      ) as page on true
      order by page.ord;

-- list (by modification, newest first)
select counted.total, page.id, page.name, page.thumbnail, page.create_ms as "createMs", page.modif_ms as "modifMs"
      from (select count(*)::int as total from projects where owner_id = $1 ) as counted
      left join lateral (
        select p.id, p.name, p.thumbnail, p.create_ms, p.modif_ms, ids.ord
        from (
          select id, row_number() over () as ord from (
            select id from projects where owner_id = $2 
            order by owner_id desc, "modif_ms" desc, id desc
            offset $3 limit $4
          ) as ordered
        ) as ids
        join projects p on p.id = ids.id
      ) as page on true
      order by page.ord;

-- isOwn
select "id" from "projects" where "owner_id" = $1 and "id" = $2;

-- lastSavedId
select "id" from "projects" where "owner_id" = $1 order by "updated_at" desc, "id" limit $2;

-- delete
begin;
select "project_id" from "action_histories" where "project_id" = $1 and "owner_id" = $2 for update;
delete from "projects" where "id" = $1 and "owner_id" = $2;
commit;

-- mediaIdsOf
select "project_media"."media_id" from "projects" left join "project_media" on "project_media"."project_id" = "projects"."id" where "projects"."id" = $1 and "projects"."owner_id" = $2 order by "project_media"."media_id";

-- usage
select "media_id" as "mediaId", "project_id" as "projectId" from "project_media" where "owner_id" = $1 and "media_id" = any($2::text[]) order by "media_id", "project_id";
