-- userOf
select "users"."id" as "id", "users"."developer_id" as "developerId" from "auth_tokens" inner join "users" on "users"."id" = "auth_tokens"."user_id" where "auth_tokens"."token_hash" = $1 and "auth_tokens"."expires_at" > now();

-- userWithListingVersions
select users.id, users.developer_id as "developerId",
      coalesce((select version from media_list_versions where owner_key = users.id), 0)::text as own,
    coalesce((select version from media_list_versions where owner_key = ''), 0)::text as shared
      from auth_tokens join users on users.id = auth_tokens.user_id
      where auth_tokens.token_hash = $1 and auth_tokens.expires_at > now();

-- withTokenLock, lockBinding, bindOpen
begin;
select pg_advisory_xact_lock(hashtext($1));
select "user_id", open_sockets > 0 and heartbeat_at > now() + ($1 * interval '1 millisecond') as "live", expires_at > now() as "valid" from "auth_tokens" where "token_hash" = $2 for update;
insert into "auth_tokens" ("token_hash", "user_id", "open_sockets", "expires_at") values ($1, $2, $3, now() + ($4 * interval '1 millisecond')) on conflict ("token_hash") do update set "user_id" = $5, "open_sockets" = auth_tokens.open_sockets + 1, "heartbeat_at" = now(), "expires_at" = now() + ($6 * interval '1 millisecond');
commit;

-- release
update "auth_tokens" set "open_sockets" = greatest(open_sockets - 1, 0), "expires_at" = case when open_sockets > 1 then expires_at else now() + ($1 * interval '1 millisecond') end, "heartbeat_at" = now() where "token_hash" = $2;

-- heartbeat
update "auth_tokens" set "heartbeat_at" = now(), "expires_at" = now() + ($1 * interval '1 millisecond') where "token_hash" in ($2) and "open_sockets" > $3;

-- liveUsersCount
select count(distinct user_id)::int as "count" from "auth_tokens" where "open_sockets" > $1 and "heartbeat_at" > now() + ($2 * interval '1 millisecond');

-- hasValidToken
select "user_id" from "auth_tokens" where "user_id" = $1 and "expires_at" > now();

-- deleteExpired
delete from "auth_tokens" where "expires_at" < now() + ($1 * interval '1 millisecond');
