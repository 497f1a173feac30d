//! Retention: which backups a policy keeps (the newest N, the newest of each of the last D days, the newest of
//! each of the last W ISO weeks) and which it deletes. Pure: it sees ids and times, never a store.

use crate::failure::Failure;
use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
pub struct Policy {
    /// Keep the newest N backups.
    #[serde(default)]
    pub keep_last: u32,
    /// Keep the newest backup of each of the last D days (UTC, today included).
    #[serde(default)]
    pub daily: u32,
    /// Keep the newest backup of each of the last W ISO weeks (this week included).
    #[serde(default)]
    pub weekly: u32,
}

/// The verdict on one backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Verdict {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub keep: bool,
    /// Why it is kept (`last`, `daily 2026-01-02`, `weekly 2026-W01`), empty when deleted.
    pub reasons: Vec<String>,
}

/// Applies `policy` at `now` to `backups` (id, creation time); the verdicts come newest first.
pub fn apply(
    policy: &Policy,
    backups: &[(String, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> Result<Vec<Verdict>, Failure> {
    if policy.keep_last == 0 && policy.daily == 0 && policy.weekly == 0 {
        return Err(Failure::new(
            "the retention policy keeps nothing",
            "keep_last, daily and weekly are all 0, so every backup would be deleted",
            "give at least one of keep_last, daily or weekly",
        ));
    }
    let mut sorted: Vec<&(String, DateTime<Utc>)> = backups.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    let mut reasons: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for index in 0..sorted.len().min(policy.keep_last as usize) {
        reasons.entry(index).or_default().push("last".to_owned());
    }
    let today = now.date_naive();
    let first_day = today - Duration::days(i64::from(policy.daily) - 1);
    let mut days_seen = BTreeSet::new();
    let this_week = monday_of(now);
    let first_week = this_week - Duration::weeks(i64::from(policy.weekly) - 1);
    let mut weeks_seen = BTreeSet::new();
    for (index, (_, at)) in sorted.iter().enumerate() {
        let day = at.date_naive();
        if policy.daily > 0 && day >= first_day && day <= today && days_seen.insert(day) {
            reasons.entry(index).or_default().push(format!("daily {day}"));
        }
        let week = monday_of(*at);
        if policy.weekly > 0 && week >= first_week && week <= this_week && weeks_seen.insert(week) {
            let iso = at.iso_week();
            reasons.entry(index).or_default().push(format!("weekly {}-W{:02}", iso.year(), iso.week()));
        }
    }
    Ok(sorted
        .iter()
        .enumerate()
        .map(|(index, (id, at))| {
            let why = reasons.remove(&index).unwrap_or_default();
            Verdict { id: id.clone(), created_at: *at, keep: !why.is_empty(), reasons: why }
        })
        .collect())
}

fn monday_of(at: DateTime<Utc>) -> chrono::NaiveDate {
    let day = at.date_naive();
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn kept(policy: Policy, backups: &[(&str, &str)], now: &str) -> Vec<String> {
        let list: Vec<(String, DateTime<Utc>)> = backups.iter().map(|(id, t)| ((*id).to_owned(), at(t))).collect();
        apply(&policy, &list, at(now)).unwrap().into_iter().filter(|v| v.keep).map(|v| v.id).collect()
    }

    const SERIES: [(&str, &str); 7] = [
        ("a", "2026-01-01T01:00:00Z"), // Thursday, ISO week 1
        ("b", "2026-01-05T01:00:00Z"), // Monday, week 2
        ("c", "2026-01-05T13:00:00Z"), // Monday, week 2 (newer that day)
        ("d", "2026-01-10T01:00:00Z"), // Saturday, week 2
        ("e", "2026-01-12T01:00:00Z"), // Monday, week 3
        ("f", "2026-01-13T01:00:00Z"), // Tuesday, week 3
        ("g", "2026-01-13T22:00:00Z"), // Tuesday, week 3 (newest)
    ];

    #[test]
    fn keep_last_keeps_the_newest() {
        let policy = Policy { keep_last: 2, ..Policy::default() };
        assert_eq!(kept(policy, &SERIES, "2026-01-14T00:00:00Z"), ["g", "f"]);
    }

    #[test]
    fn daily_keeps_the_newest_of_each_recent_day() {
        let policy = Policy { daily: 3, ..Policy::default() };
        // Days 12, 13, 14 Jan: g (13th), e (12th); nothing on the 14th.
        assert_eq!(kept(policy, &SERIES, "2026-01-14T09:00:00Z"), ["g", "e"]);
        let policy = Policy { daily: 10, ..Policy::default() };
        assert_eq!(kept(policy, &SERIES, "2026-01-14T09:00:00Z"), ["g", "e", "d", "c"]);
    }

    #[test]
    fn weekly_keeps_the_newest_of_each_iso_week() {
        let policy = Policy { weekly: 2, ..Policy::default() };
        assert_eq!(kept(policy, &SERIES, "2026-01-14T09:00:00Z"), ["g", "d"]);
        let policy = Policy { weekly: 52, ..Policy::default() };
        assert_eq!(kept(policy, &SERIES, "2026-01-14T09:00:00Z"), ["g", "d", "a"]);
    }

    #[test]
    fn rules_combine_and_give_reasons() {
        let policy = Policy { keep_last: 1, daily: 2, weekly: 3 };
        let list: Vec<(String, DateTime<Utc>)> = SERIES.iter().map(|(id, t)| ((*id).to_owned(), at(t))).collect();
        let verdicts = apply(&policy, &list, at("2026-01-14T09:00:00Z")).unwrap();
        assert_eq!(verdicts[0].id, "g");
        assert_eq!(verdicts[0].reasons, ["last", "daily 2026-01-13", "weekly 2026-W03"]);
        let keep: Vec<&str> = verdicts.iter().filter(|v| v.keep).map(|v| v.id.as_str()).collect();
        assert_eq!(keep, ["g", "d", "a"]);
        assert!(verdicts.iter().filter(|v| !v.keep).all(|v| v.reasons.is_empty()));
    }

    #[test]
    fn future_backups_are_not_counted_as_days_and_empty_policy_is_refused() {
        let policy = Policy { daily: 1, ..Policy::default() };
        assert_eq!(kept(policy, &[("x", "2026-02-01T00:00:00Z")], "2026-01-14T09:00:00Z"), Vec::<String>::new());
        assert!(apply(&Policy::default(), &[], at("2026-01-14T09:00:00Z")).is_err());
        assert!(kept(Policy { keep_last: 5, ..Policy::default() }, &[], "2026-01-14T09:00:00Z").is_empty());
    }
}
