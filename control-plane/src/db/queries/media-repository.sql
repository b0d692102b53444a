-- countAndPageListing (the root, every type)
with counted as materialized (select
    true as "folderFound",
    (select count(*)::int from folders where owner_id = $1 and parent_id is null) as folders,
    (select count(*)::int from media where owner_id = $2 and folder_id is null) as own,
    (select count(*)::int from media where owner_id is null and folder_id is null and type = 'test') as shared)
    select counted.*, page.* from counted
    left join (
      select page.sort_key, media.id, media.name, media.type, media.filetype, media.media_type, media.duration_hns, media.size_bytes, media.width, media.height, media.thumbnail, media.audio_tracks, media.status, media.progress, media.error, media.task_id, media.category_id, media.mood_id, media.create_time_ms, media.folder_id, media.original_key, media.proxy_key from (
        select id, name_key as sort_key from media
        where owner_id = $3 and folder_id is null and (select folders = 0 and shared = 0 from counted)
        order by owner_id asc, folder_id asc, name_key asc, id asc
        offset $4 limit $5
      ) as page
      join media on media.id = page.id
    ) as page on true
    order by page.sort_key asc, page.id asc;

-- countAndPageListing (a folder, searched, some types)
with counted as materialized (select
    exists (select 1 from folders where id = $1 and owner_id = $2) as "folderFound",
    (select count(*)::int from folders where owner_id = $3 and parent_id = $4 and lower(name) like $5) as folders,
    (select count(*)::int from media where owner_id = $6 and folder_id = $7 and (media_type in ($8) or type = 'voiceover') and name_key like $9) as own,
    0 as shared)
    select counted.*, page.* from counted
    left join (
      select page.sort_key, media.id, media.name, media.type, media.filetype, media.media_type, media.duration_hns, media.size_bytes, media.width, media.height, media.thumbnail, media.audio_tracks, media.status, media.progress, media.error, media.task_id, media.category_id, media.mood_id, media.create_time_ms, media.folder_id, media.original_key, media.proxy_key from (
        select id, size_bytes as sort_key from media
        where owner_id = $10 and folder_id = $11 and (media_type in ($12) or type = 'voiceover') and name_key like $13 and (select folders = 0 and shared = 0 from counted)
        order by owner_id desc, folder_id desc, size_bytes desc, id desc
        offset $14 limit $15
      ) as page
      join media on media.id = page.id
    ) as page on true
    order by page.sort_key desc, page.id desc;

-- pageOfListed (with shared test media)
select media.id, media.name, media.type, media.filetype, media.media_type, media.duration_hns, media.size_bytes, media.width, media.height, media.thumbnail, media.audio_tracks, media.status, media.progress, media.error, media.task_id, media.category_id, media.mood_id, media.create_time_ms, media.folder_id, media.original_key, media.proxy_key from (select id, sort_key from ((select id, name_key as sort_key from media where owner_id = $1 and folder_id is null
      order by owner_id asc, folder_id asc, name_key asc, id asc limit $2) union all (select id, name_key as sort_key from media where owner_id is null and folder_id is null and type = 'test'
      order by owner_id asc, folder_id asc, name_key asc, id asc limit $3)) as merged
      order by sort_key asc, id asc offset $4 limit $5) as page
    join media on media.id = page.id
    order by page.sort_key asc, page.id asc;

-- pageOfListed (own media only)
select media.id, media.name, media.type, media.filetype, media.media_type, media.duration_hns, media.size_bytes, media.width, media.height, media.thumbnail, media.audio_tracks, media.status, media.progress, media.error, media.task_id, media.category_id, media.mood_id, media.create_time_ms, media.folder_id, media.original_key, media.proxy_key from (select id, size_bytes as sort_key from media where owner_id = $1 and folder_id = $2 and (media_type in ($3) or type = 'voiceover') and name_key like $4
      order by owner_id desc, folder_id desc, size_bytes desc, id desc offset $5 limit $6) as page
    join media on media.id = page.id
    order by page.sort_key desc, page.id desc;

-- listingVersions
select coalesce((select version from media_list_versions where owner_key = $1), 0)::text as own,
    coalesce((select version from media_list_versions where owner_key = ''), 0)::text as shared;

-- countInLibrary
select count(*)::int as "n" from "media" where ("type" = $1 and "audiolib_type" = $2 and "category_id" = $3 and "mood_id" = $4 and name_key like $5);

-- pageOfLibrary
select * from "media" where ("type" = $1 and "audiolib_type" = $2 and "category_id" = $3 and "mood_id" = $4 and name_key like $5) order by name_key asc, id asc limit $6 offset $7;

-- findInLibrary
select * from "media" where "id" = $1 and "type" = $2;

-- findInLibraryBySource
select * from "media" where "type" = $1 and "source" = $2;

-- allInLibrary
select * from "media" where "type" = $1;

-- setLibraryFields
update "media" set "name" = $1, "audiolib_type" = $2, "category_id" = $3, "mood_id" = $4, "updated_at" = $5 where "id" = $6 and "type" = $7 returning *;

-- allTestMedia
select * from "media" where "type" = $1 and "owner_id" is null;

-- findTestBySource
select * from "media" where "type" = $1 and "source" = $2;

-- findVisible
select * from "media" where "id" = $1 and ("owner_id" = $2 or "owner_id" is null);

-- visibleByIds
select * from "media" where "id" in ($1, $2) and ("owner_id" = $3 or "owner_id" is null);

-- find
select * from "media" where "id" = $1;

-- bytesOwnedBy
select coalesce(sum(size_bytes), 0)::bigint as "total" from "media" where "owner_id" = $1;

-- lockQuota
select pg_advisory_xact_lock(hashtext($1));

-- insert
insert into "media" ("id", "owner_id", "folder_id", "name", "type", "filetype", "media_type", "status", "task_id", "category_id", "mood_id", "thumbnail", "original_key", "proxy_key", "thumbnails_key", "source", "source_version", "create_time_ms") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) returning *;

-- update (guarded by status)
update "media" set "status" = $1, "progress" = $2 where "id" = $3 and "status" in ($4, $5) returning *;

-- lockOwn
select * from "media" where "id" = $1 and "owner_id" = $2 for update;

-- deleteMany
delete from "media" where "id" in ($1, $2);

-- deleteUploading
delete from "media" where "id" = $1 and "status" = $2;

-- idsInFolders
select "id" from "media" where "owner_id" = $1 and "folder_id" in ($2);

-- anyInFolder
select "id" from "media" where "folder_id" = $1 limit $2;

-- lockInFolders
select * from "media" where "owner_id" = $1 and "folder_id" in ($2) for update;

-- visibleAmong
select "id", "owner_id", "type" from "media" where "id" in ($1) and ("owner_id" = $2 or "owner_id" is null);

-- moveToFolder
update "media" set "folder_id" = $1, "updated_at" = $2 where "owner_id" = $3 and "id" in ($4);

-- setRenderProgress
update "media" set "progress" = $1, "updated_at" = $2 where "id" in ($3) and "status" = $4;

-- markRenderFailed
update "media" set "status" = $1, "error" = $2, "original_key" = $3, "size_bytes" = $4, "updated_at" = $5 where "id" in ($6) and "status" in ($7, $8);

-- lockRendering
select * from "media" where "id" in ($1) and "status" = $2 for update;

-- outcomesOf
select "id", "name", "status", "error" from "media" where "id" in ($1);

-- tasksOf
select "id", "task_id" from "media" where "id" in ($1);

-- progressOf
select "status", "progress", "error" from "media" where "id" in ($1);
