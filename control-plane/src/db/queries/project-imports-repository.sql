-- insert
insert into "project_imports" ("id", "owner_id", "name", "file_name", "fps_num", "fps_den", "size_bytes", "expires_at", "task_id", "folder_id", "timeline") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);

-- find
select * from "project_imports" where "id" = $1;

-- findCurrent
select * from "project_imports" where "id" = $1 and "owner_id" = $2 and "expires_at" > now();

-- expired
select * from "project_imports" where "expires_at" < now();

-- importingMedia
select * from "project_imports" where "stage" = $1 and "failed" = $2;

-- activeCount
select count(*)::int as "count" from "project_imports" where "failed" = $1 and "stage" != $2 and "expires_at" > now();

-- delete
delete from "project_imports" where "id" = $1;

-- deleteOwn
delete from "project_imports" where "id" = $1 and "owner_id" = $2;

-- lockForUpload
select "size_bytes", "stage", "failed" from "project_imports" where "id" = $1 for update;

-- setReceived
update "project_imports" set "received_bytes" = $1, "progress" = floor($2::numeric * 100 / greatest("size_bytes", 1))::int, "updated_at" = now() where "id" = $3 and "stage" = $4;

-- startUnpack
update "project_imports" set "stage" = $1, "progress" = $2, "task_id" = $3, "expires_at" = $4, "updated_at" = now() where "id" = $5;

-- setUnpackProgress
update "project_imports" set "progress" = $1, "updated_at" = now() where "id" = $2 and "stage" = $3 and "failed" = $4;

-- setFolder
update "project_imports" set "folder_id" = $1 where "id" = $2;

-- lockStage
select "stage", "failed" from "project_imports" where "id" = $1 for update;

-- startMediaImport
update "project_imports" set "stage" = $1, "progress" = $2, "media_ids" = $3, "timeline" = $4, "error" = $5, "expires_at" = $6, "updated_at" = now() where "id" = $7;

-- markReady
update "project_imports" set "stage" = $1, "progress" = $2, "error" = $3, "timeline" = $4, "expires_at" = $5, "updated_at" = now() where "id" = $6 and "stage" = $7;

-- markFailed
update "project_imports" set "failed" = $1, "error" = $2, "media_ids" = $3, "folder_id" = $4, "timeline" = $5, "expires_at" = $6, "updated_at" = now() where "id" = $7 and "failed" = $8 and "stage" != $9;
