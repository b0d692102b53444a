-- getOrStore
insert into "instance_secrets" ("name", "value") values ($1, $2) on conflict ("name") do nothing;
select "value" from "instance_secrets" where "name" = $1;
