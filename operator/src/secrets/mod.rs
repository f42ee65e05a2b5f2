//! Secret values: read from their sources (the *dereference* stage), held in a
//! type that cannot be printed, and compared by digest only.

mod policy;
mod resolve;
mod value;

pub use policy::{CREDENTIAL_PATTERNS, Refusal, SourcePolicy};
pub use resolve::{
    GENERATED_PLACEHOLDER, LocalSecretResolver, ResolveContext, ResolveError, SecretResolver,
};
pub use value::{SecretValue, digest_hex};
