-- upsert
insert into "upload_chunks" ("media_id", "start_byte", "end_byte", "object_key") values ($1, $2, $3, $4) on conflict ("media_id", "start_byte", "end_byte") do update set "object_key" = $5;

-- of
select "start_byte", "end_byte", "object_key" from "upload_chunks" where "media_id" = $1;
