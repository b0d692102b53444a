-- countsByKindAndState
select "kind", "state", count(*)::int as "count" from "tasks" where ("finished_at" is null or "finished_at" > now() - ($1::int * interval '1 second')) group by "kind", "state" order by "kind", "state";

-- list (by state and kind)
select "id", "kind", "state", "stage", "progress", "attempts", "max_attempts", "owner_id", "developer_id", "gpu", "claimed_by", "error", "created_at", "started_at", "finished_at", "heartbeat_at", "not_before" from "tasks" where "state" in ($1) and "kind" in ($2) order by "created_at" desc, "id" desc limit $3 offset $4;
select count(*)::int as "count" from "tasks" where "state" in ($1) and "kind" in ($2);

-- recentFailures
select "id", "kind", "state", "stage", "progress", "attempts", "max_attempts", "owner_id", "developer_id", "gpu", "claimed_by", "error", "created_at", "started_at", "finished_at", "heartbeat_at", "not_before", (select coalesce(jsonb_agg(line order by n), '[]'::jsonb) from (
          select line, n from jsonb_array_elements(log) with ordinality as t(line, n)
          order by n desc limit $1) kept) as "log_tail" from "tasks" where "state" = $2 order by "finished_at" desc, "id" desc limit $3;

-- get
select "id", "kind", "state", "stage", "progress", "attempts", "max_attempts", "owner_id", "developer_id", "gpu", "claimed_by", "error", "created_at", "started_at", "finished_at", "heartbeat_at", "not_before", "log" from "tasks" where "id" = $1;
