-- insert
insert into "voiceover_sessions" ("id", "owner_id", "replica_id") values ($1, $2, $3);

-- remove
delete from "voiceover_sessions" where "id" = $1;

-- heldElsewhere
select "id" from "voiceover_sessions" where "id" = $1 and "owner_id" = $2 and "replica_id" != $3 and "heartbeat_at" > now() - ($4 * interval '1 millisecond');

-- heartbeat
update "voiceover_sessions" set "heartbeat_at" = now() where "id" in ($1);
delete from "voiceover_sessions" where "heartbeat_at" < now() - interval '1 hour';

-- countLive
select count(*)::int as "count" from "voiceover_sessions" where "heartbeat_at" > now() - ($1 * interval '1 millisecond');
