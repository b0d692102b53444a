-- insert
insert into "overlay_images" ("id", "owner_id", "png", "size_bytes", "width", "height") values ($1, $2, $3, $4, $5, $6);

-- read
select "png" from "overlay_images" where "id" = $1 and "owner_id" = $2;

-- dimensions
select "width", "height" from "overlay_images" where "id" = $1 and "owner_id" = $2;

-- owners
select o.owner_id, now() as read_at
      from (select 1) as one left join (select distinct owner_id from overlay_images) as o on true;

-- deleteOwned (some pinned)
delete from "overlay_images" where "owner_id" = $1 and "created_at" < $2 and "id" not in ($3);
