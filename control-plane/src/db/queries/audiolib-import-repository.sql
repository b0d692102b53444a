-- claim
update "audiolib_import" set "state" = $1, "run_id" = $2, "total_count" = $3, "processed_count" = $4, "error" = $5, "started_at" = now(), "heartbeat_at" = now(), "finished_at" = $6 where "id" = $7 and ("state" != $8 or "heartbeat_at" is null or "heartbeat_at" < now() - make_interval(secs => $9));

-- recordProgress
update "audiolib_import" set "heartbeat_at" = now(), "processed_count" = $1 where "id" = $2 and "run_id" = $3 and "state" = $4;

-- finish
update "audiolib_import" set "state" = $1, "error" = $2, "heartbeat_at" = now(), "finished_at" = now() where "id" = $3 and "run_id" = $4 and "state" = $5;

-- read
select * from "audiolib_import" where "id" = $1;
