//! The top-level sections of `openclaw.json`, one file per typed section.
//!
//! A section the original knows but this gateway does not interpret yet is kept as raw
//! JSON in [`untyped`]; typing it later means moving its name out of
//! [`untyped::UNTYPED_SECTIONS`], adding a field to [`super::Config`] and a match arm in
//! `Config::from_value`.

pub mod gateway;
pub mod untyped;
