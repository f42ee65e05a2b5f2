//! The agents' side of the WebSocket protocol: method parameters, response
//! payloads and event payloads, in the reference gateway's shapes. The
//! WebSocket layer registers the methods and forwards the frames.

pub mod daily;
pub mod identity;
pub mod lanes;
pub mod list_filters;
pub mod metadata;
pub mod methods;
pub mod params;
pub mod payloads;
pub mod project;
pub mod sessions_view;
pub mod subscriptions;
pub mod usage;
