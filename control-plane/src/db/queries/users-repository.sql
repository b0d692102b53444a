-- insert
insert into "users" ("id", "name", "data", "developer_id", "api_auth_token") values ($1, $2, $3, $4, $5);

-- update (claimed by a developer)
update "users" set "name" = $1 where "id" = $2 and ("developer_id" is null or "developer_id" = $3);

-- findProfile
select "name", "data" from "users" where "id" = $1;

-- exists
select "id" from "users" where "id" = $1;

-- developerFetchAccess
select "developers"."fetch_file_url" as "fetchFileUrl", "users"."api_auth_token" as "apiAuthToken" from "users" inner join "developers" on "developers"."id" = "users"."developer_id" where "users"."id" = $1;

-- editorConfig
select "users"."id" as "userId", "users"."api_auth_token" as "apiAuthToken", "developers"."fetch_file_url" as "fetchFileUrl", "developers"."media_tab_content_url" as "mediaTabContentUrl", "developers"."fetch_thumbnail_url" as "fetchThumbnailUrl" from "users" left join "developers" on "developers"."id" = "users"."developer_id" where "users"."id" = $1;
