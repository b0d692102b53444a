-- list
select * from "developers" order by "created_at";

-- find
select * from "developers" where "id" = $1;

-- outputBucketOf
select "output_s3_bucket" from "developers" where "id" = $1;

-- findByKeyHash
select * from "developers" where "api_key_hash" = $1;

-- update
update "developers" set "name" = $1 where "id" = $2;

-- delete
delete from "developers" where "id" = $1;
