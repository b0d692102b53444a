-- insertMany
insert into "object_deletions" ("id", "key", "is_prefix") values ($1, $2, $3);

-- findMany
select * from "object_deletions" where "id" in ($1);

-- pageAfter
select * from "object_deletions" where "id" > $1 order by "id" limit $2;

-- count
select count(*)::int as "n" from "object_deletions";

-- delete
delete from "object_deletions" where "id" = $1;

-- countAttempt
update "object_deletions" set "attempts" = attempts + 1 where "id" = $1;
