//! Typed async client for the Fly Machines API (not built yet).
