//! The subcommands' bodies (`main` only dispatches).

pub mod import;
pub mod logs;
pub mod plan;
pub mod proxy;
pub mod run;
pub mod status;
pub mod token;
pub mod up;
