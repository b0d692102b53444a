-- upsert
insert into "project_import_chunks" ("import_id", "start_byte", "end_byte", "object_key") values ($1, $2, $3, $4) on conflict ("import_id", "start_byte", "end_byte") do update set "object_key" = $5;

-- of
select "start_byte", "end_byte", "object_key" from "project_import_chunks" where "import_id" = $1;
