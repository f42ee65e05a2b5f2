//! Day 2 with the operator (issue 14): `status`, `logs`, `token`, `proxy`,
//! stable local ports, the live table, warnings, `import`, the Node image on
//! the embedded fly-local; and a graceful Ctrl-C (issue 18).

mod access;
mod import;
mod node_image;
#[path = "../support/output.rs"]
mod output;
mod support;
mod table;
mod warnings;
