//! Talking to a running `up` from the other commands (`status`, `logs`,
//! `token`, `proxy`, and whatever needs the live operator next): each `up`
//! advertises itself in a private file ([`advert`]) naming its server and a
//! control token; `/status` there is the board as JSON, and the control API
//! ([`control`], under `/v1`, bearer-authenticated) answers what needs the
//! operator's own view, such as a gateway's token. [`client`] is the caller's
//! side. Adding a command that talks to `up` means a route in `control` and a
//! method in `client`.

pub mod advert;
pub mod client;
pub mod control;

pub use advert::{Advert, AdvertGuard, FlyLocalAdvert};
pub use client::{Found, RunningUp, find, pick};
pub use control::{ControlState, resolve_token};
