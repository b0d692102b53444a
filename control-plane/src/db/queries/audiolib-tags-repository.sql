-- idOf
insert into "audiolib_moods" ("id", "audiolib_type", "name") values ($1, $2, $3) on conflict ("audiolib_type", "name") do nothing returning "id";

-- deleteUnused
delete from "audiolib_moods" where not exists (select 1 as "one" from "media" where "media"."mood_id" = "audiolib_moods"."id");

-- withCounts
select t.id, t.name, count(m.id)::int as "entriesCount"
    from "audiolib_moods" t
    left join media m on m."mood_id" = t.id and m.type = 'audiolib'
    where t.audiolib_type = $1
    group by t.id, t.name
    order by lower(t.name) collate "C", t.id;
