//! Everything an attack on read-only mode could change, read from another session as one comparable text:
//! the target's rows and sequence, the relations of public, the superusers, large objects, the server's
//! configuration and when it was loaded, statistics reset times, advisory locks in the database and the
//! replication slots.

/// Objects the corpus aims at, created by the superuser before the server starts.
pub const SETUP: &str = "
    create table public.corpus_target (id int primary key, note text);
    insert into public.corpus_target select g, 'row ' || g from generate_series(1, 25) g;
    create procedure public.wipe() language sql as $$ delete from public.corpus_target $$;
    create function public.volatile_wipe() returns int language plpgsql volatile as $$
      begin delete from public.corpus_target; return 1; end $$;
    create sequence public.counter;
    create extension if not exists dblink;";

pub async fn fingerprint(client: &tokio_postgres::Client) -> String {
    let sql = "select concat_ws(' | ',
        (select md5(coalesce(string_agg(t::text, ',' order by t.id), '')) from public.corpus_target t),
        (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public'),
        (select last_value::text || is_called::text from public.counter),
        (select string_agg(rolname || rolsuper::text || rolcanlogin::text, ',' order by rolname) from pg_roles),
        (select count(*) from pg_largeobject_metadata),
        (select string_agg(name || '=' || setting, ',' order by name) from pg_file_settings),
        pg_conf_load_time()::text,
        (select coalesce(stats_reset::text, 'never') from pg_stat_database where datname = current_database()),
        (select coalesce(stats_reset::text, 'never') from pg_stat_bgwriter),
        (select coalesce(stats_reset::text, 'never') from pg_stat_archiver),
        (select count(*) from pg_locks l join pg_database d on d.oid = l.database
          where l.locktype = 'advisory' and d.datname = current_database()),
        (select coalesce(string_agg(slot_name::text, ',' order by slot_name), 'no slots') from pg_replication_slots
          where slot_name like 'supamcp_attack%' or slot_name = 'victim_' || current_database()))";
    client.query_one(sql, &[]).await.expect("fingerprint").get(0)
}
