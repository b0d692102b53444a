-- post
with head as (
        select version from action_histories where project_id = $1 and owner_id = $2
      ), claimed as (
        update action_histories set version = version + 1, last_seq = last_seq + 1
        where project_id = $3 and version = (select version from head)
        returning last_seq as seq
      ), redo_branch as (
        delete from actions
        where project_id = $4 and canceled and exists (select 1 from claimed)
      ), overflow as (
        delete from actions
        where project_id = $5 and not canceled and exists (select 1 from claimed)
          and seq <= (
            select seq from actions where project_id = $6 and not canceled
            order by seq desc offset $7 limit 1
          )
      ), added as (
        insert into actions (project_id, owner_id, id, seq, name, data_json, canceled, create_ms, modif_ms)
        select $8, $9,
          case when $10::text is not null and not exists (
            select 1 from actions where project_id = $11 and id = $12::text
          ) then $13::text else $14 end,
          claimed.seq, $15, $16, false, $17, $18
        from claimed
        returning id
      )
      select (select count(*) from head)::int as found, (select id from added) as id;

-- withHeadLock
begin;
select "project_id" from "action_histories" where "project_id" = $1 and "owner_id" = $2 for update;
commit;

-- setCanceled (in a project)
with hit as (
        select project_id from actions where owner_id = $1 and id = $2 and project_id = $3
      ), bumped as (
        update action_histories set version = version + 1
        where project_id in (select project_id from hit) and (select count(*) from hit) = 1
        returning project_id
      ), changed as (
        update actions a set canceled = $4, modif_ms = $5
        from bumped where a.project_id = bumped.project_id and a.id = $6
        returning a.id
      )
      select (select count(*) from hit)::int as matches, (select count(*) from changed)::int as changed;

-- list
select "a"."id", "a"."name", "a"."data_json" as "dataJson", "a"."canceled", "a"."create_ms" as "createMs", "a"."modif_ms" as "modifMs" from "action_histories" as "h" left join "actions" as "a" on "a"."project_id" = "h"."project_id" where "h"."project_id" = $1 and "h"."owner_id" = $2 order by "a"."seq";
