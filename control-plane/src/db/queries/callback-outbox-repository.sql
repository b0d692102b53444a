-- raise
insert into "domain_events" ("id", "user_id", "type", "payload") values ($1, $2, $3, $4);

-- claimDue
with due as (
        select e.seq from domain_events e
        where e.delivery = 'pending'
          and e.next_attempt_at <= now()
          and (e.lease_until is null or e.lease_until < now())
          and not exists (
            select 1 from domain_events earlier
            where earlier.user_id = e.user_id and earlier.delivery = 'pending' and earlier.seq < e.seq)
        order by e.seq
        limit $1
        for update skip locked)
      update domain_events ev
      set lease_until = now() + ($2::int * interval '1 millisecond')
      from due, users u left join developers d on d.id = u.developer_id
      where ev.seq = due.seq and u.id = ev.user_id
      returning ev.seq, ev.id, ev.user_id, ev.type, ev.payload, ev.attempts, ev.created_at,
        d.callback_url, d.callback_secret, u.data as user_data, u.api_auth_token;

-- settle
update "domain_events" set "delivery" = $1, "attempts" = $2, "last_error" = $3, "lease_until" = $4 where "seq" = $5;

-- countsByDelivery
select "delivery", count(*)::int as "count" from "domain_events" group by "delivery";

-- list
select "e"."id", "e"."user_id", "e"."type", "e"."delivery", "e"."attempts", "e"."next_attempt_at", "e"."last_error", "e"."created_at", "e"."delivered_at", "d"."callback_url" from "domain_events" as "e" inner join "users" as "u" on "u"."id" = "e"."user_id" left join "developers" as "d" on "d"."id" = "u"."developer_id" where "e"."delivery" in ($1) order by "e"."seq" desc limit $2;

-- redeliver
update "domain_events" set "delivery" = $1, "attempts" = $2, "next_attempt_at" = now(), "lease_until" = $3 where "id" = $4 and "delivery" in ($5, $6) returning "id";
select "e"."id", "e"."user_id", "e"."type", "e"."delivery", "e"."attempts", "e"."next_attempt_at", "e"."last_error", "e"."created_at", "e"."delivered_at", "d"."callback_url" from "domain_events" as "e" inner join "users" as "u" on "u"."id" = "e"."user_id" left join "developers" as "d" on "d"."id" = "u"."developer_id" where "e"."id" = $1;
