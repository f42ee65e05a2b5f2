//! The agents' side of the WebSocket protocol: method parameters, response
//! payloads and event payloads, in the reference gateway's shapes. The
//! WebSocket layer registers the methods and forwards the frames.

pub mod identity;
pub mod methods;
pub mod params;
pub mod payloads;
pub mod project;
