//! GoTrue's user state machine as the admin API shows it: create (email lower-cased, duplicates refused,
//! the email/phone identity, provider app_metadata, a random password when none is given), get, update
//! (metadata merged, null removes a key; ban_duration as a Go duration or "none"), delete (hard, or soft:
//! deleted_at set, identities and factors gone), factors, generate_link, invite, audit and the pages.

use super::State;
use super::StoredUser;
use super::routes::{ApiError, Reply};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub fn settings() -> Value {
    json!({
        "external": {"anonymous_users": false, "apple": false, "azure": false, "email": true, "github": true,
            "google": false, "phone": false},
        "disable_signup": false, "mailer_autoconfirm": false, "phone_autoconfirm": false,
        "sms_provider": "twilio", "saml_enabled": false, "passkeys_enabled": false,
    })
}

fn validation(status: u16, msg: &str) -> ApiError {
    ApiError::new(status, "validation_failed", msg)
}

fn user_id(id: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id).map(|u| u.to_string()).map_err(|_| validation(404, "user_id must be an UUID"))
}

fn not_found() -> ApiError {
    ApiError::new(404, "user_not_found", "User not found")
}

fn text<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Go's `time.ParseDuration` for the units GoTrue users send (h, m, s), in seconds.
fn go_duration(text: &str) -> Option<i64> {
    let mut total = 0i64;
    let mut number = String::new();
    for c in text.chars() {
        match c {
            '0'..='9' => number.push(c),
            'h' | 'm' | 's' if !number.is_empty() => {
                let n: i64 = number.parse().ok()?;
                total += n * match c {
                    'h' => 3600,
                    'm' => 60,
                    _ => 1,
                };
                number.clear();
            }
            _ => return None,
        }
    }
    (number.is_empty() && !text.is_empty()).then_some(total)
}

fn check_password(body: &Value) -> Result<bool, ApiError> {
    let password = text(body, "password");
    let hash = text(body, "password_hash");
    if password.is_some() && hash.is_some() {
        return Err(validation(400, "Only a password or a password hash should be provided"));
    }
    if let Some(password) = password
        && password.chars().count() < 6
    {
        let mut error = ApiError::new(422, "weak_password", "Password should be at least 6 characters.");
        error.extra = Some(("weak_password".to_owned(), json!({"reasons": ["length"]})));
        return Err(error);
    }
    if let Some(hash) = hash
        && !(hash.starts_with("$2") || hash.starts_with("$argon2"))
    {
        return Err(validation(400, "Invalid password hash format"));
    }
    Ok(true)
}

fn identity(user_id: &str, provider: &str, value: &str, now: &str) -> Value {
    let mut data = json!({"sub": user_id, "email_verified": false, "phone_verified": false});
    data[provider] = json!(value);
    json!({"identity_id": uuid::Uuid::new_v4().to_string(), "id": user_id, "user_id": user_id,
        "identity_data": data, "provider": provider, "last_sign_in_at": now, "created_at": now, "updated_at": now,
        "email": if provider == "email" { json!(value) } else { Value::Null }})
}

/// `POST /admin/users`: the new user (status 200, as GoTrue answers).
pub fn insert(state: &mut State, body: &Value) -> Result<Value, ApiError> {
    let email = text(body, "email").map(str::to_lowercase);
    let phone = text(body, "phone").map(|p| p.trim_start_matches('+').to_owned());
    if email.is_none() && phone.is_none() {
        return Err(validation(400, "Cannot create a user without either an email or phone"));
    }
    if let Some(email) = &email {
        if !email.contains('@') {
            return Err(validation(400, "Unable to validate email address: invalid format"));
        }
        if state.by_email(email).is_some() {
            return Err(ApiError::new(
                422,
                "email_exists",
                "A user with this email address has already been registered",
            ));
        }
    }
    if let Some(phone) = &phone
        && state.users.iter().any(|u| u.json["phone"] == phone.as_str())
    {
        return Err(ApiError::new(422, "phone_exists", "A user with this phone number has already been registered"));
    }
    check_password(body)?;
    let id = match text(body, "id") {
        Some(raw) => match uuid::Uuid::parse_str(raw) {
            Ok(id) if !id.is_nil() => id.to_string(),
            _ => return Err(validation(400, "id must be a valid, non-nil UUID")),
        },
        None => uuid::Uuid::new_v4().to_string(),
    };
    if state.user(&id).is_some() {
        return Err(ApiError::new(422, "user_already_exists", "User already exists"));
    }
    let now = state.now();
    let mut providers = Vec::new();
    let mut identities = Vec::new();
    if let Some(email) = &email {
        providers.push("email");
        identities.push(identity(&id, "email", email, &now));
    }
    if let Some(phone) = &phone {
        providers.push("phone");
        identities.push(identity(&id, "phone", phone, &now));
    }
    let mut app_metadata = json!({"provider": providers[0], "providers": providers});
    merge(&mut app_metadata, body.get("app_metadata"));
    let confirmed = |flag: &str| body.get(flag).and_then(Value::as_bool).unwrap_or(false).then(|| now.clone());
    let email_confirmed_at = confirmed("email_confirm").filter(|_| email.is_some());
    let phone_confirmed_at = confirmed("phone_confirm").filter(|_| phone.is_some());
    let confirmed_at = email_confirmed_at.clone().or(phone_confirmed_at.clone());
    let user = json!({
        "id": id, "aud": text(body, "aud").unwrap_or("authenticated"),
        "role": text(body, "role").unwrap_or("authenticated"),
        "email": email.clone().unwrap_or_default(), "email_confirmed_at": email_confirmed_at,
        "phone": phone.clone().unwrap_or_default(), "phone_confirmed_at": phone_confirmed_at,
        "confirmed_at": confirmed_at, "invited_at": null, "confirmation_sent_at": null, "recovery_sent_at": null,
        "last_sign_in_at": null,
        "app_metadata": app_metadata, "user_metadata": body.get("user_metadata").cloned().unwrap_or(json!({})),
        "identities": identities, "factors": [], "created_at": now, "updated_at": now,
        "banned_until": null, "deleted_at": null, "is_anonymous": false,
    });
    let password = text(body, "password").map(str::to_owned);
    let mut stored = StoredUser { json: user, has_password: true, factor_secrets: Vec::new(), password };
    if let Some(duration) = text(body, "ban_duration") {
        ban(&mut stored, duration)?;
    }
    let traits = json!({"user_id": id, "user_email": email, "user_phone": phone, "provider": providers[0]});
    state.log("user_signedup", "team", traits);
    let json = stored.json.clone();
    state.users.push(stored);
    Ok(json)
}

/// GoTrue's metadata merge: keys set, a null value removes the key.
fn merge(target: &mut Value, updates: Option<&Value>) {
    let Some(Value::Object(updates)) = updates else { return };
    if !target.is_object() {
        *target = json!({});
    }
    let map: &mut Map<String, Value> = target.as_object_mut().unwrap();
    for (key, value) in updates {
        if value.is_null() {
            map.remove(key);
        } else {
            map.insert(key.clone(), value.clone());
        }
    }
}

fn ban(user: &mut StoredUser, duration: &str) -> Result<(), ApiError> {
    if duration == "none" {
        user.json["banned_until"] = Value::Null;
        return Ok(());
    }
    let seconds = go_duration(duration).ok_or_else(|| {
        validation(400, &format!("invalid format for ban duration: time: invalid duration \"{duration}\""))
    })?;
    let until = chrono::Utc::now() + chrono::Duration::seconds(seconds);
    user.json["banned_until"] = json!(until.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
    Ok(())
}

pub fn get(state: &State, id: &str) -> Result<Value, ApiError> {
    let id = user_id(id)?;
    state.user(&id).map(|u| u.json.clone()).ok_or_else(not_found)
}

/// `PUT /admin/users/{id}`.
pub fn update(state: &mut State, id: &str, body: &Value) -> Result<Value, ApiError> {
    let id = user_id(id)?;
    state.user(&id).ok_or_else(not_found)?;
    if let Some(email) = text(body, "email").map(str::to_lowercase)
        && state.by_email(&email).is_some_and(|u| u.json["id"] != id.as_str())
    {
        return Err(ApiError::new(422, "email_exists", "A user with this email address has already been registered"));
    }
    check_password(body)?;
    let now = state.now();
    let user = state.user_mut(&id).unwrap();
    if let Some(email) = text(body, "email").map(str::to_lowercase) {
        user.json["email"] = json!(email);
        let identities = user.json["identities"].as_array_mut().unwrap();
        match identities.iter_mut().find(|i| i["provider"] == "email") {
            Some(identity) => {
                identity["identity_data"]["email"] = json!(email);
                identity["email"] = json!(email);
            }
            None => identities.push(identity(&id, "email", &email, &now)),
        }
    }
    if let Some(phone) = text(body, "phone") {
        user.json["phone"] = json!(phone.trim_start_matches('+'));
    }
    if body.get("email_confirm").and_then(Value::as_bool) == Some(true) {
        user.json["email_confirmed_at"] = json!(now);
        user.json["confirmed_at"] = json!(now);
    }
    if body.get("phone_confirm").and_then(Value::as_bool) == Some(true) {
        user.json["phone_confirmed_at"] = json!(now);
    }
    merge(&mut user.json["user_metadata"], body.get("user_metadata"));
    merge(&mut user.json["app_metadata"], body.get("app_metadata"));
    if let Some(duration) = text(body, "ban_duration") {
        ban(user, duration)?;
    }
    if text(body, "password").is_some() || text(body, "password_hash").is_some() {
        user.has_password = true;
        user.password = text(body, "password").map(str::to_owned);
    }
    user.json["updated_at"] = json!(now);
    let json = user.json.clone();
    state.log("user_modified", "user", json!({"user_id": id}));
    Ok(json)
}

/// `DELETE /admin/users/{id}`: `{}`.
pub fn delete(state: &mut State, id: &str, body: &Value) -> Result<Value, ApiError> {
    let id = user_id(id)?;
    state.user(&id).ok_or_else(not_found)?;
    let soft = body.get("should_soft_delete").and_then(Value::as_bool).unwrap_or(false);
    if soft {
        let now = state.now();
        let user = state.user_mut(&id).unwrap();
        if user.json["deleted_at"].is_null() {
            user.json["deleted_at"] = json!(now);
            user.json["email"] = json!("");
            user.json["phone"] = json!("");
            user.json["identities"] = json!([]);
            user.json["factors"] = json!([]);
            user.factor_secrets.clear();
        }
    } else {
        state.users.retain(|u| u.json["id"] != id.as_str());
    }
    state.log("user_deleted", "team", json!({"user_id": id}));
    Ok(json!({}))
}

pub fn factors(state: &State, id: &str) -> Result<Value, ApiError> {
    let id = user_id(id)?;
    state.user(&id).map(|u| u.json["factors"].clone()).ok_or_else(not_found)
}

pub fn delete_factor(state: &mut State, id: &str, factor_id: &str) -> Result<Value, ApiError> {
    let id = user_id(id)?;
    let user = state.user_mut(&id).ok_or_else(not_found)?;
    let factors = user.json["factors"].as_array_mut().unwrap();
    let position = factors
        .iter()
        .position(|f| f["id"] == factor_id)
        .ok_or_else(|| ApiError::new(404, "mfa_factor_not_found", "Factor not found"))?;
    let removed = factors.remove(position);
    state.log("factor_deleted", "factor", json!({"user_id": id, "factor_id": factor_id}));
    Ok(removed)
}

/// `POST /admin/generate_link`: the user's fields flattened with the link properties; no mail is sent.
pub fn generate_link(state: &mut State, body: &Value, base: &str) -> Result<Value, ApiError> {
    let kind = text(body, "type").unwrap_or_default().to_owned();
    let email = text(body, "email").map(str::to_lowercase).ok_or_else(|| validation(422, "Email is required"))?;
    let existing = state.by_email(&email).map(|u| u.json["id"].as_str().unwrap_or_default().to_owned());
    let id = match (kind.as_str(), existing) {
        ("signup" | "invite", Some(_)) => {
            return Err(ApiError::new(
                422,
                "email_exists",
                "A user with this email address has already been registered",
            ));
        }
        ("signup" | "invite" | "magiclink", None) => {
            let mut attributes =
                json!({"email": email, "user_metadata": body.get("data").cloned().unwrap_or(json!({}))});
            if let Some(password) = text(body, "password") {
                attributes["password"] = json!(password);
            }
            let user = insert(state, &attributes)?;
            user["id"].as_str().unwrap().to_owned()
        }
        ("magiclink" | "recovery", Some(id)) => id,
        ("email_change_current" | "email_change_new", Some(id)) => {
            let new_email =
                text(body, "new_email").ok_or_else(|| validation(422, "The new email address provided is invalid"))?;
            let now = state.now();
            let user = state.user_mut(&id).unwrap();
            user.json["new_email"] = json!(new_email.to_lowercase());
            user.json["email_change_sent_at"] = json!(now);
            id
        }
        ("recovery" | "email_change_current" | "email_change_new", None) => return Err(not_found()),
        _ => return Err(validation(400, "Invalid email action link type requested")),
    };
    let now = state.now();
    let user = state.user_mut(&id).unwrap();
    let sent_field = match kind.as_str() {
        "invite" => "invited_at",
        "recovery" | "magiclink" => "recovery_sent_at",
        "signup" => "confirmation_sent_at",
        _ => "email_change_sent_at",
    };
    user.json[sent_field] = json!(now);
    let hashed_token = format!("{:x}", uuid::Uuid::new_v4().as_u128());
    let otp = format!("{:06}", uuid::Uuid::new_v4().as_u128() % 1_000_000);
    let redirect_to = text(body, "redirect_to").unwrap_or("http://localhost:3000").to_owned();
    let mut reply = user.json.clone();
    reply["action_link"] = json!(format!("{base}/verify?token={hashed_token}&type={kind}&redirect_to={redirect_to}"));
    reply["email_otp"] = json!(otp);
    reply["hashed_token"] = json!(hashed_token);
    reply["verification_type"] = json!(kind);
    reply["redirect_to"] = json!(redirect_to);
    Ok(reply)
}

/// `POST /invite`: creates the user and "sends" the mail.
pub fn invite(state: &mut State, body: &Value) -> Result<Value, ApiError> {
    let email =
        text(body, "email").map(str::to_lowercase).ok_or_else(|| validation(400, "An email address is required"))?;
    if state.by_email(&email).is_some() {
        return Err(ApiError::new(422, "email_exists", "A user with this email address has already been registered"));
    }
    let user =
        insert(state, &json!({"email": email, "user_metadata": body.get("data").cloned().unwrap_or(json!({}))}))?;
    let now = state.now();
    let id = user["id"].as_str().unwrap().to_owned();
    let stored = state.user_mut(&id).unwrap();
    stored.json["invited_at"] = json!(now);
    stored.json["confirmation_sent_at"] = json!(now);
    let json = stored.json.clone();
    state.emails_sent.push(email.clone());
    state.log("user_invited", "team", json!({"user_id": id, "user_email": email}));
    Ok(json)
}

/// page/per_page from the query: GoTrue's defaults (1, 50), 400 on garbage.
fn paging(query: &BTreeMap<String, String>) -> Result<(usize, usize), ApiError> {
    let read = |key: &str, default: usize| match query.get(key).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(raw) => raw.parse::<usize>().map_err(|_| validation(400, &format!("Bad Pagination Parameters: {raw}"))),
    };
    Ok((read("page", 1)?.max(1), read("per_page", 50)?.max(1)))
}

fn page_headers(base: &str, path: &str, page: usize, per_page: usize, total: usize) -> Vec<(String, String)> {
    let last = total.div_ceil(per_page).max(1);
    let mut links = Vec::new();
    if page < last {
        links.push(format!("<{base}{path}?page={}&per_page={per_page}>; rel=\"next\"", page + 1));
    }
    links.push(format!("<{base}{path}?page={last}&per_page={per_page}>; rel=\"last\""));
    vec![("x-total-count".to_owned(), total.to_string()), ("link".to_owned(), links.join(", "))]
}

/// `GET /admin/users`: newest first, `filter` on the email or full_name.
pub fn list(state: &State, query: &BTreeMap<String, String>, base: &str) -> Result<Reply, ApiError> {
    let (page, per_page) = paging(query)?;
    let filter = query.get("filter").map(|f| f.to_lowercase()).filter(|f| !f.is_empty());
    let matching: Vec<&StoredUser> = state
        .users
        .iter()
        .rev()
        .filter(|u| {
            filter.as_ref().is_none_or(|f| {
                u.json["email"].as_str().unwrap_or_default().contains(f.as_str())
                    || u.json["user_metadata"]["full_name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_lowercase()
                        .contains(f.as_str())
            })
        })
        .collect();
    let users: Vec<Value> =
        matching.iter().skip((page - 1) * per_page).take(per_page).map(|u| u.json.clone()).collect();
    Ok(Reply {
        status: 200,
        headers: page_headers(base, "/admin/users", page, per_page, matching.len()),
        body: json!({"users": users, "aud": "authenticated"}),
    })
}

/// `GET /admin/audit`: a bare array, newest first; `query=author|action|type:<value>`.
pub fn audit(state: &State, query: &BTreeMap<String, String>, base: &str) -> Result<Reply, ApiError> {
    let (page, per_page) = paging(query)?;
    let scope = match query.get("query").filter(|q| !q.is_empty()) {
        None => None,
        Some(q) => {
            let (scope, value) = q.split_once(':').ok_or_else(|| validation(400, "Invalid query scope"))?;
            let fields: &[&str] = match scope {
                "author" => &["actor_username", "actor_name"],
                "action" => &["action"],
                "type" => &["log_type"],
                _ => return Err(validation(400, &format!("Invalid query scope: {scope}"))),
            };
            Some((fields, value.to_lowercase()))
        }
    };
    let matching: Vec<&Value> = state
        .audit
        .iter()
        .rev()
        .filter(|entry| {
            scope.as_ref().is_none_or(|(fields, value)| {
                fields
                    .iter()
                    .any(|f| entry["payload"][f].as_str().unwrap_or_default().to_lowercase().contains(value.as_str()))
            })
        })
        .collect();
    let entries: Vec<Value> =
        matching.iter().skip((page - 1) * per_page).take(per_page).map(|e| (*e).clone()).collect();
    Ok(Reply {
        status: 200,
        headers: page_headers(base, "/admin/audit", page, per_page, matching.len()),
        body: json!(entries),
    })
}
