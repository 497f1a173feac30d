//! Supabase keys without network access: the JWT codec, generation of every secret a self-hosted stack
//! needs (legacy HS256 keys and, opt-in, the new opaque and ES256 keys), and validation that reports
//! each problem as a [`Finding`](crate::supabase::finding::Finding).

pub mod asymmetric;
mod generate;
pub mod jwt;
mod validate;

pub use generate::{
    DEFAULT_JWT_SECRET_LENGTH, DEFAULT_LIFETIME_DAYS, GenerateOptions, GeneratedKeys, MIN_JWT_SECRET_LENGTH,
    fresh_secret, generate, legacy_claims, legacy_keys, random_alnum, random_lower_alnum,
};
pub use validate::{DEMO_JWT_SECRET, EXPIRY_WARNING_SECONDS, LEEWAY_SECONDS, validate_keys};

#[cfg(test)]
mod tests;
