//! Local Fly Machines API (not built yet).
