-- insert
insert into "upload_sessions" ("media_id", "owner_id", "size_bytes", "expires_at") values ($1, $2, $3, $4);

-- findCurrent
select * from "upload_sessions" where "media_id" = $1 and "owner_id" = $2 and ("state" = $3 or "expires_at" > now());

-- lock
select "size_bytes", "state" from "upload_sessions" where "media_id" = $1 for update;

-- setReceived (complete)
update "upload_sessions" set "received_bytes" = $1, "updated_at" = now(), "state" = $2 where "media_id" = $3;

-- expired
select "media_id", "owner_id" from "upload_sessions" where "state" = $1 and "expires_at" < now();

-- activeCount
select count(*)::int as "count" from "upload_sessions" where "state" = $1 and "expires_at" > now() and "updated_at" > now() - make_interval(secs => $2);
