//! Who may do what: RLS policies, grants (owners' own privileges left out, so the model does not depend on
//! who owns what; column privileges as `SELECT (column)` on the table), comments, and publication membership.

use super::rows;
use crate::diff::model::{Catalog, Comment, Grant, Policy, Publication, PublicationTable};
use crate::failure::Failure;
use std::collections::BTreeMap;
use tokio_postgres::Client;

const POLICIES: &str = "select quote_ident(n.nspname) || '.' || quote_ident(c.relname), quote_ident(p.polname), \
    p.polpermissive, case p.polcmd when 'r' then 'SELECT' when 'a' then 'INSERT' when 'w' then 'UPDATE' \
      when 'd' then 'DELETE' else 'ALL' end, \
    case when p.polroles = '{0}' then array['PUBLIC'] else array(select quote_ident(r.rolname) from pg_roles r \
      where r.oid = any(p.polroles) order by 1) end, \
    pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid) \
    from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace \
    where n.nspname = any($1) and c.relkind = 'r' and not c.relispartition";

const GRANTS: &str = "select g.kind, g.object, case when x.grantee = 0 then 'PUBLIC' \
      else quote_ident(pg_get_userbyid(x.grantee)) end, x.privilege_type, x.is_grantable \
    from (select case when c.relkind = 'S' then 'SEQUENCE' else 'TABLE' end as kind, \
      quote_ident(n.nspname) || '.' || quote_ident(c.relname) as object, c.relowner as owner, \
      coalesce(c.relacl, acldefault(case when c.relkind = 'S' then 's' else 'r' end::\"char\", c.relowner)) as acl \
      from pg_class c join pg_namespace n on n.oid = c.relnamespace \
      where c.relkind in ('r', 'v', 'm', 'S') and not c.relispartition and n.nspname = any($1) \
      and not exists (select 1 from pg_depend e where e.classid = 'pg_class'::regclass and e.objid = c.oid \
      and e.deptype in ('e', 'i')) \
    union all select case when p.prokind = 'p' then 'PROCEDURE' else 'FUNCTION' end, p.oid::regprocedure::text, \
      p.proowner, coalesce(p.proacl, acldefault('f', p.proowner)) from pg_proc p \
      join pg_namespace n on n.oid = p.pronamespace where p.prokind in ('f', 'p') and n.nspname = any($1) \
      and not exists (select 1 from pg_depend e where e.classid = 'pg_proc'::regclass and e.objid = p.oid \
      and e.deptype = 'e') \
    union all select 'SCHEMA', quote_ident(n.nspname), n.nspowner, coalesce(n.nspacl, acldefault('n', n.nspowner)) \
      from pg_namespace n where n.nspname = any($1)) g, aclexplode(g.acl) x where x.grantee <> g.owner \
    union all select 'TABLE', quote_ident(n.nspname) || '.' || quote_ident(c.relname), \
      case when x.grantee = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(x.grantee)) end, \
      x.privilege_type || ' (' || quote_ident(a.attname) || ')', x.is_grantable \
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace, \
      aclexplode(a.attacl) x \
    where a.attacl is not null and a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'v', 'm') \
      and not c.relispartition and n.nspname = any($1) and x.grantee <> c.relowner";

const NOT_EXTENSION_CLASS: &str = "not exists (select 1 from pg_depend e where e.classid = 'pg_class'::regclass \
    and e.objid = c.oid and e.deptype = 'e')";

const COMMENTS: &str = "select case c.relkind when 'v' then 'VIEW' when 'm' then 'MATERIALIZED VIEW' \
      when 'S' then 'SEQUENCE' when 'i' then 'INDEX' when 'c' then 'TYPE' else 'TABLE' end, \
      quote_ident(n.nspname) || '.' || quote_ident(c.relname), d.description \
    from pg_description d join pg_class c on d.classoid = 'pg_class'::regclass and d.objoid = c.oid \
    join pg_namespace n on n.oid = c.relnamespace where d.objsubid = 0 and n.nspname = any($1) and NOT_EXT \
    union all select 'COLUMN', quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || \
      quote_ident(a.attname), d.description from pg_description d \
    join pg_class c on d.classoid = 'pg_class'::regclass and d.objoid = c.oid \
    join pg_attribute a on a.attrelid = c.oid and a.attnum = d.objsubid \
    join pg_namespace n on n.oid = c.relnamespace where d.objsubid > 0 and n.nspname = any($1) and NOT_EXT \
    union all select case when p.prokind = 'p' then 'PROCEDURE' else 'FUNCTION' end, p.oid::regprocedure::text, \
      d.description from pg_description d join pg_proc p on d.classoid = 'pg_proc'::regclass and d.objoid = p.oid \
    join pg_namespace n on n.oid = p.pronamespace where n.nspname = any($1) and not exists (select 1 \
      from pg_depend e where e.classid = 'pg_proc'::regclass and e.objid = p.oid and e.deptype = 'e') \
    union all select case when t.typtype = 'd' then 'DOMAIN' else 'TYPE' end, \
      quote_ident(n.nspname) || '.' || quote_ident(t.typname), d.description from pg_description d \
    join pg_type t on d.classoid = 'pg_type'::regclass and d.objoid = t.oid \
    join pg_namespace n on n.oid = t.typnamespace where t.typtype in ('e', 'd', 'c') and n.nspname = any($1) \
    and not exists (select 1 from pg_depend e where e.classid = 'pg_type'::regclass and e.objid = t.oid \
      and e.deptype = 'e') \
    union all select 'SCHEMA', quote_ident(n.nspname), d.description from pg_description d \
    join pg_namespace n on d.classoid = 'pg_namespace'::regclass and d.objoid = n.oid where n.nspname = any($1) \
    union all select 'CONSTRAINT', quote_ident(k.conname) || ' ON ' || quote_ident(n.nspname) || '.' || \
      quote_ident(c.relname), d.description from pg_description d \
    join pg_constraint k on d.classoid = 'pg_constraint'::regclass and d.objoid = k.oid \
    join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace \
    where n.nspname = any($1) \
    union all select 'TRIGGER', quote_ident(t.tgname) || ' ON ' || quote_ident(n.nspname) || '.' || \
      quote_ident(c.relname), d.description from pg_description d \
    join pg_trigger t on d.classoid = 'pg_trigger'::regclass and d.objoid = t.oid \
    join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace where n.nspname = any($1) \
    union all select 'POLICY', quote_ident(p.polname) || ' ON ' || quote_ident(n.nspname) || '.' || \
      quote_ident(c.relname), d.description from pg_description d \
    join pg_policy p on d.classoid = 'pg_policy'::regclass and d.objoid = p.oid \
    join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace where n.nspname = any($1)";

/// Database-wide ($1 unused but typed).
const PUBLICATIONS: &str = "select quote_ident(p.pubname), p.puballtables, concat_ws(', ', \
    case when p.pubinsert then 'insert' end, case when p.pubupdate then 'update' end, \
    case when p.pubdelete then 'delete' end, case when p.pubtruncate then 'truncate' end) \
    from pg_publication p where $1::text[] is not null";

const PUBLICATION_TABLES: &str = "select quote_ident(p.pubname), \
    quote_ident(n.nspname) || '.' || quote_ident(c.relname) from pg_publication_rel r \
    join pg_publication p on p.oid = r.prpubid join pg_class c on c.oid = r.prrelid \
    join pg_namespace n on n.oid = c.relnamespace where n.nspname = any($1)";

#[derive(Default)]
pub(super) struct Access {
    policies: BTreeMap<String, Policy>,
    grants: BTreeMap<String, Grant>,
    comments: BTreeMap<String, Comment>,
    publications: BTreeMap<String, Publication>,
    publication_tables: BTreeMap<String, PublicationTable>,
}

impl Access {
    pub(super) fn fill(self, catalog: &mut Catalog) {
        catalog.policies = self.policies;
        catalog.grants = self.grants;
        catalog.comments = self.comments;
        catalog.publications = self.publications;
        catalog.publication_tables = self.publication_tables;
    }
}

pub(super) async fn load(client: &Client, schemas: &[String]) -> Result<Access, Failure> {
    let comments_sql = COMMENTS.replace("NOT_EXT", NOT_EXTENSION_CLASS);
    let (policies, grants, comments, publications, members) = tokio::try_join!(
        rows(client, POLICIES, schemas),
        rows(client, GRANTS, schemas),
        rows(client, &comments_sql, schemas),
        rows(client, PUBLICATIONS, schemas),
        rows(client, PUBLICATION_TABLES, schemas),
    )?;
    let mut out = Access::default();
    for row in &policies {
        let policy = Policy {
            table: row.get(0),
            name: row.get(1),
            permissive: row.get(2),
            command: row.get(3),
            roles: row.get(4),
            using: row.get(5),
            with_check: row.get(6),
        };
        out.policies.insert(format!("{}.{}", policy.table, policy.name), policy);
    }
    for row in &grants {
        let is_grantable: bool = row.get(4);
        let grant = Grant {
            kind: row.get(0),
            object: row.get(1),
            grantee: row.get(2),
            privilege: row.get(3),
            grantable: is_grantable,
        };
        out.grants.insert(format!("{} {} {} {}", grant.kind, grant.object, grant.grantee, grant.privilege), grant);
    }
    for row in &comments {
        let comment = Comment { kind: row.get(0), object: row.get(1), text: row.get(2) };
        out.comments.insert(format!("{} {}", comment.kind, comment.object), comment);
    }
    for row in &publications {
        let publication = Publication { name: row.get(0), all_tables: row.get(1), publish: row.get(2) };
        out.publications.insert(publication.name.clone(), publication);
    }
    for row in &members {
        let member = PublicationTable { publication: row.get(0), table: row.get(1) };
        out.publication_tables.insert(format!("{} {}", member.publication, member.table), member);
    }
    Ok(out)
}
