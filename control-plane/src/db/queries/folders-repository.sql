-- pageOfChildren (by name)
select * from "folders" where ("owner_id" = $1 and "parent_id" is null) order by lower(name) collate "C" asc, id asc limit $2 offset $3;

-- pageOfChildren (by size: by name, A to Z)
select * from "folders" where ("owner_id" = $1 and "parent_id" = $2 and lower(name) like $3) order by lower(name) collate "C" asc, id asc limit $4 offset $5;

-- lockTree
select pg_advisory_xact_lock(hashtext($1));

-- findOwn
select * from "folders" where "id" = $1 and "owner_id" = $2;

-- lockShared
select "id" from "folders" where "id" = $1 and "owner_id" = $2 for share;

-- hasSubfolders
select "id" from "folders" where "parent_id" = $1 limit $2;

-- insert
insert into "folders" ("id", "owner_id", "parent_id", "name", "create_time_ms") values ($1, $2, $3, $4, $5);

-- rename
update "folders" set "name" = $1, "updated_at" = $2 where "id" = $3 and "owner_id" = $4;

-- ownedAmong
select "id" from "folders" where "owner_id" = $1 and "id" in ($2);

-- subtreeOf (locked)
select id from folders
      where owner_id = $1 and id in (
        with recursive tree(id) as (
          select id from folders where id = $2 and owner_id = $3
          union all
          select f.id from folders f join tree t on f.parent_id = t.id
        )
        select id from tree
      )
      for update;

-- ancestorsOf
with recursive up(id, parent_id, depth) as (
        select id, parent_id, 0 from folders where id = $1 and owner_id = $2
        union all
        select f.id, f.parent_id, up.depth + 1 from folders f join up on f.id = up.parent_id
      )
      select id from up where depth > 0 order by depth;

-- reparent
update "folders" set "parent_id" = $1, "updated_at" = $2 where "owner_id" = $3 and "id" in ($4);

-- deleteMany
delete from "folders" where "id" in ($1);
