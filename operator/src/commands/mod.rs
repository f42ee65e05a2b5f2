//! The subcommands' bodies (`main` only dispatches).

pub mod plan;
pub mod run;
pub mod up;
