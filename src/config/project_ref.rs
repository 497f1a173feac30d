//! Which configured instance a Supabase project ref names. The official Supabase MCP server selects a project
//! with `project_id`; supamcp accepts the same parameter and maps it to an instance: by the instance's name, or
//! by the project ref its API URL or database address carries.

use super::{Instance, Settings};
use crate::failure::Failure;
use crate::pg::conninfo::Host;

/// The project ref of a `https://<ref>.supabase.co` API URL.
pub fn api_url_ref(url: &str) -> Option<String> {
    let host = reqwest::Url::parse(url).ok()?.host_str()?.to_owned();
    let reference = host.strip_suffix(".supabase.co")?;
    (!reference.is_empty() && !reference.contains('.')).then(|| reference.to_owned())
}

impl Instance {
    /// The Supabase project ref this instance belongs to, when its addresses name one: the API URL
    /// `https://<ref>.supabase.co`, the direct database host `db.<ref>.supabase.co`, or the pooler's user
    /// `postgres.<ref>`.
    pub fn project_ref(&self) -> Option<String> {
        let from_url = self.supabase_url.as_deref().and_then(api_url_ref);
        let from_database = self.database.as_ref().and_then(|spec| {
            let from_host = match &spec.host {
                Host::Tcp(host) => host
                    .strip_prefix("db.")
                    .and_then(|rest| rest.split_once('.'))
                    .filter(|(_, domain)| domain.starts_with("supabase."))
                    .map(|(reference, _)| reference.to_owned()),
                Host::Socket(_) => None,
            };
            from_host.or_else(|| spec.user.strip_prefix("postgres.").map(str::to_owned))
        });
        from_url.or(from_database).filter(|reference| !reference.is_empty())
    }
}

impl Settings {
    /// The instance a call selects by `instance` and/or the official server's `project_id` (an instance name
    /// or a project ref). Without `project_id`, `instance` is returned as it is (None: the default instance).
    pub fn instance_for_project(&self, instance: Option<&str>, project_id: &str) -> Result<String, Failure> {
        let found = if self.instances.contains_key(project_id) {
            Some(project_id.to_owned())
        } else {
            self.instances
                .values()
                .find(|candidate| candidate.project_ref().as_deref() == Some(project_id))
                .map(|candidate| candidate.name.clone())
        };
        let Some(found) = found else {
            let known: Vec<String> = self
                .instances
                .values()
                .map(|i| match i.project_ref() {
                    Some(reference) => format!("{} (project {reference})", i.name),
                    None => i.name.clone(),
                })
                .collect();
            return Err(Failure::new(
                format!("project_id '{project_id}' names no configured instance"),
                if known.is_empty() {
                    "no instance is configured".to_owned()
                } else {
                    format!("configured: {}", known.join(", "))
                },
                "pass an instance name or the project ref of a configured instance (the ref in its \
                 https://<ref>.supabase.co URL or db.<ref>.supabase.co host), or leave project_id out",
            ));
        };
        match instance {
            Some(named) if named != found => Err(Failure::new(
                "instance and project_id name different instances",
                format!("instance is '{named}', project_id '{project_id}' is instance '{found}'"),
                "pass only one of them",
            )),
            _ => Ok(found),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Instance;
    use crate::pg::conninfo::ConnSpec;

    fn instance(name: &str, url: Option<&str>, database: Option<&str>) -> Instance {
        Instance {
            database: database.and_then(|d| ConnSpec::parse(d).ok()),
            supabase_url: url.map(str::to_owned),
            ..Instance::empty(name)
        }
    }

    #[test]
    fn refs_come_from_cloud_urls_only() {
        use super::api_url_ref;
        assert_eq!(api_url_ref("https://abcdefgh.supabase.co").as_deref(), Some("abcdefgh"));
        assert_eq!(api_url_ref("http://localhost:8000"), None);
        assert_eq!(api_url_ref("https://a.b.supabase.co"), None);
    }

    #[test]
    fn project_ref_comes_from_the_api_url_the_database_host_or_the_pooler_user() {
        let by_url = instance("a", Some("https://abcdefghijklmnopqrst.supabase.co"), None);
        assert_eq!(by_url.project_ref().as_deref(), Some("abcdefghijklmnopqrst"));
        let by_host =
            instance("b", None, Some("postgresql://postgres:pw@db.qwertyuiopasdfghjklz.supabase.co:5432/postgres"));
        assert_eq!(by_host.project_ref().as_deref(), Some("qwertyuiopasdfghjklz"));
        let by_user = instance(
            "c",
            None,
            Some("postgresql://postgres.zxcvbnmasdfghjklqwe:pw@aws-0-eu-west-1.pooler.supabase.com:6543/postgres"),
        );
        assert_eq!(by_user.project_ref().as_deref(), Some("zxcvbnmasdfghjklqwe"));
        let self_hosted =
            instance("d", Some("https://api.example.com"), Some("postgresql://postgres:pw@localhost/postgres"));
        assert_eq!(self_hosted.project_ref(), None);
    }
}
