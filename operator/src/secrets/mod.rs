//! Secret values: read from their sources (the *dereference* stage), held in a
//! type that cannot be printed, and compared by digest only.

mod resolve;
mod value;

pub use resolve::{LocalSecretResolver, ResolveContext, ResolveError, SecretResolver};
pub use value::{SecretValue, digest_hex};
