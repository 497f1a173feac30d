//! The opaque cursor of `list_objects`: the listing it continues (bucket, folder, search, sort, order) and the
//! offset of the next page, base64url-encoded JSON. Passing it back is all the next call needs; a cursor given
//! with other listing parameters than its own is refused rather than silently mixing two listings.

use super::objects::ListObjects;
use crate::failure::Failure;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    v: u8,
    bucket: String,
    prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    search: Option<String>,
    sort: String,
    order: String,
    offset: u32,
}

fn key_of(bucket: &str, listing: &ListObjects) -> Cursor {
    Cursor {
        v: 1,
        bucket: bucket.to_owned(),
        prefix: listing.prefix.trim_matches('/').to_owned(),
        search: listing.search.clone().filter(|s| !s.is_empty()),
        sort: listing.sort_column.clone().unwrap_or_else(|| "name".to_owned()),
        order: listing.sort_order.clone().unwrap_or_else(|| "asc".to_owned()),
        offset: listing.offset,
    }
}

/// The cursor of the page at `next_offset` of the listing `listing` of `bucket`.
pub fn encode(bucket: &str, listing: &ListObjects, next_offset: u32) -> String {
    let cursor = Cursor { offset: next_offset, ..key_of(bucket, listing) };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).unwrap_or_default())
}

/// The listing `cursor` continues, checked against what the call gave (`given`, whose fields left at their
/// defaults take the cursor's values; `explicit` says which the caller set).
pub fn resume(cursor: &str, bucket: &str, given: &ListObjects, explicit: &Explicit) -> Result<ListObjects, Failure> {
    let unreadable = || {
        Failure::new(
            "the cursor cannot be read",
            "it is not a next_cursor list_objects returned",
            "pass the next_cursor of the previous reply unchanged, or list again without cursor",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| unreadable())?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| unreadable())?;
    if cursor.v != 1 {
        return Err(unreadable());
    }
    let asked = key_of(bucket, given);
    let differs = [
        (cursor.bucket != asked.bucket, "bucket"),
        (explicit.prefix && cursor.prefix != asked.prefix, "prefix"),
        (explicit.search && cursor.search != asked.search, "search"),
        (explicit.sort && cursor.sort != asked.sort, "sort"),
        (explicit.order && cursor.order != asked.order, "order"),
        (explicit.offset, "offset"),
    ];
    if let Some((_, name)) = differs.iter().find(|(differs, _)| *differs) {
        return Err(Failure::new(
            "the cursor continues another listing",
            format!("its {name} differs from this call's (a cursor carries the listing it belongs to)"),
            "pass only bucket, cursor and limit to continue, or list again without cursor",
        ));
    }
    Ok(ListObjects {
        prefix: cursor.prefix,
        limit: given.limit,
        offset: cursor.offset,
        search: cursor.search,
        sort_column: Some(cursor.sort),
        sort_order: Some(cursor.order),
    })
}

/// Which listing parameters the caller set (besides the cursor).
#[derive(Debug, Default)]
pub struct Explicit {
    pub prefix: bool,
    pub search: bool,
    pub sort: bool,
    pub order: bool,
    pub offset: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(prefix: &str, offset: u32) -> ListObjects {
        ListObjects {
            prefix: prefix.to_owned(),
            limit: 10,
            offset,
            search: Some("a".into()),
            sort_column: Some("updated_at".into()),
            sort_order: Some("desc".into()),
        }
    }

    #[test]
    fn a_cursor_restores_its_listing_and_refuses_another() {
        let cursor = encode("files", &listing("photos/", 0), 20);
        let resumed =
            resume(&cursor, "files", &ListObjects { limit: 5, ..ListObjects::default() }, &Explicit::default())
                .unwrap();
        assert_eq!((resumed.prefix.as_str(), resumed.offset, resumed.limit), ("photos", 20, 5));
        assert_eq!(resumed.sort_column.as_deref(), Some("updated_at"));
        assert_eq!(resumed.search.as_deref(), Some("a"));
        let other = resume(&cursor, "other", &ListObjects::default(), &Explicit::default()).unwrap_err();
        assert!(other.why.contains("bucket"), "{other:?}");
        let moved = Explicit { prefix: true, ..Explicit::default() };
        assert!(resume(&cursor, "files", &listing("docs", 0), &moved).unwrap_err().why.contains("prefix"));
        let same = resume(&cursor, "files", &listing("photos", 0), &moved).unwrap();
        assert_eq!(same.offset, 20, "the same prefix given again is fine");
        assert!(resume("not a cursor", "files", &ListObjects::default(), &Explicit::default()).is_err());
    }
}
